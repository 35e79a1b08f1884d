import { snakeCase } from '@salesflow/batches';
import { BadInputError } from '@salesflow/errors';
import { findValueLikeNames } from '@salesflow/pii-scan';

/**
 * Refuses (exit 4) a CSV header that is not one: fields that read like values (an email, a
 * phone, a number or date), or, when the entity declares columns in standardize, a header none of
 * whose names is a declared column. A file landed without its header would otherwise turn a
 * customer's id, name and email into column names, which travel into logs, lineage and
 * manifests where neither masking nor the PII scan looks. The error names positions and counts,
 * never the header's text. Pure.
 */
export function checkCsvHeader(names: readonly string[], uri: string, declared: readonly string[] | undefined, configPath: string): void {
  const valueLike = findValueLikeNames(names);
  const known = declared && declared.length ? new Set(declared.map(snakeCase)) : undefined;
  const matching = known ? names.filter((n) => known.has(snakeCase(n))).length : names.length;
  if (valueLike.length === 0 && matching > 0) return;
  const why = [
    ...valueLike.slice(0, 5).map((v) => `field ${v.index + 1} looks like ${v.looksLike}`),
    ...(matching === 0 && known ? [`none of its ${names.length} fields names a declared column (${[...known].slice(0, 8).join(', ')})`] : []),
  ];
  const delimiter = names.length === 1 ? [';', '\t', '|'].find((d) => names[0]!.includes(d)) : undefined;
  // A first line such as "# exported by ..." is a comment the entity does not declare.
  const comment = ['#', ';', '%', '/'].find((c) => names[0]!.startsWith(c) && c !== delimiter);
  throw new BadInputError(`CSV ${uri}: the first line does not look like a header: ${why.join('; ')}. Nothing of the file was ingested, and its first line is not repeated here`, {
    context: { file: uri, row: 1 },
    fix: comment
      ? `the first line starts with ${JSON.stringify(comment)} like a comment: set ${configPath}.csv.comment to ${JSON.stringify(comment)} to skip such lines, or land the file without them`
      : delimiter
        ? `the header looks delimited by ${JSON.stringify(delimiter)}: set ${configPath}.csv.delimiter to it`
        : `land the file with its header line, or set ${configPath}.csv.header: false if the source never sends one (columns are then column_1..n; map them with standardize columns' from)`,
  });
}
