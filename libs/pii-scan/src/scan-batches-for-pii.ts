import * as arrow from 'apache-arrow';
import { columnReaders } from '@salesflow/batches';
import { columnGlobRegExp, isColumnGlob, type MaskConfig, type MaskMethod } from '@salesflow/config';
import { detectPii, type PiiKind } from './detect-pii';

/** What the scan looks for in one table, and what it lets through. */
export interface PiiScanPolicy {
  /** Kinds of values looked for. */
  readonly detectors: readonly PiiKind[];
  /** Column names or globs that must be masked wherever they appear. */
  readonly sensitiveColumns: readonly string[];
  /** Column names or globs of this table allowed to hold pattern-like values or a sensitive name in the clear. */
  readonly safeColumns: readonly string[];
  /** Columns already masked: not a sensitive_unmasked finding, and scanned for what the mask left (see maskedMethods). */
  readonly maskedColumns: readonly string[];
  /** The method of each masked column: a value in exactly that method's output form is not scanned further (a 64-hex HMAC, a token); an email mask's kept domain is. */
  readonly maskedMethods?: Readonly<Record<string, MaskMethod>>;
  /** Countries whose national phone formats count (see detectPii). */
  readonly countries?: readonly string[];
  /** Rows looked at, spread evenly over the table when its size is known. */
  readonly sampleRows: number;
}

/** One reason the table breaks the PII contract. Counts and names only, never a value. */
export interface PiiFinding {
  readonly table: string;
  readonly column: string;
  /** sensitive_unmasked: the column's name says personal data and no rule masks it; pattern: values look like `kind`. */
  readonly reason: 'sensitive_unmasked' | 'pattern';
  readonly kind?: PiiKind;
  /** Sampled values that matched (pattern findings). */
  readonly matches?: number;
  /** Sampled non-null values of the column. */
  readonly sampled?: number;
}

export interface PiiScanResult {
  readonly table: string;
  readonly rowsSampled: number;
  readonly valuesScanned: number;
  /** Per scanned column, matches per kind (zero kinds omitted). */
  readonly columns: Readonly<Record<string, Partial<Record<PiiKind, number>>>>;
  readonly findings: readonly PiiFinding[];
}

/**
 * Scans record batches of one table batch by batch (hold nothing): samples every `stride`-th
 * row of every column that is neither safe nor lineage (`_` prefix) and holds text or numbers
 * (numbers read as text: a bigint of card numbers is found), masked columns included (what a
 * mask's output form leaves is scanned: an email mask's domain, a pattern's text), and records
 * columns whose values look like the policy's kinds; sensitive column names that are not masked
 * are findings whatever their values. Give `expectedRows` (a manifest's row count) to spread the
 * sample over the whole table; without it the first `sampleRows` rows are scanned.
 */
export class PiiScanner {
  private readonly stride: number;
  private rowsSeen = 0;
  private rowsSampled = 0;
  private valuesScanned = 0;
  private readonly hits = new Map<string, Map<PiiKind, number>>();
  private readonly sampled = new Map<string, number>();
  private readonly sensitiveFindings: PiiFinding[] = [];
  private checkedNames = false;

  constructor(
    readonly table: string,
    private readonly policy: PiiScanPolicy,
    opts: { readonly expectedRows?: number } = {},
  ) {
    this.stride = opts.expectedRows && opts.expectedRows > policy.sampleRows ? Math.ceil(opts.expectedRows / policy.sampleRows) : 1;
  }

  /** Checks column names against the sensitive list; scan() does it on the first batch. */
  checkSchema(schema: arrow.Schema): void {
    if (this.checkedNames) return;
    this.checkedNames = true;
    const masked = new Set(this.policy.maskedColumns);
    const sensitive = this.policy.sensitiveColumns.map(columnGlobRegExp);
    for (const f of schema.fields) {
      if (masked.has(f.name) || this.isSafe(f.name) || f.name.startsWith('_')) continue;
      if (sensitive.some((re) => re.test(f.name))) this.sensitiveFindings.push({ table: this.table, column: f.name, reason: 'sensitive_unmasked' });
    }
  }

  /**
   * The columns of `schema` whose values scan() looks at. A caller may read only these (and pass
   * batches of them to scan(), after checkSchema() with the whole schema): the findings are the same.
   */
  scannedColumns(schema: arrow.Schema): string[] {
    return schema.fields.filter((f) => isScannable(f.type) && !f.name.startsWith('_') && !this.isSafe(f.name)).map((f) => f.name);
  }

  /** Counts rows of a table with no column to scan (see scannedColumns), as scan() would. */
  skipRows(rows: number): void {
    const first = (this.stride - (this.rowsSeen % this.stride)) % this.stride;
    if (rows > first) this.rowsSampled = Math.min(this.policy.sampleRows, this.rowsSampled + Math.ceil((rows - first) / this.stride));
    this.rowsSeen += rows;
  }

  scan(batch: arrow.RecordBatch): void {
    this.checkSchema(batch.schema);
    const scanned = new Set(this.scannedColumns(batch.schema));
    const columns = batch.schema.fields
      .map((f, i) => ({ f, i }))
      .filter(({ f }) => scanned.has(f.name))
      // Values as text the way a reader sees them: a decimal as its fixed-scale digits (19.99), read from its scaled integers.
      .map(({ f }) => ({ name: f.name, read: columnReaders(batch, [f.name])[0]!, method: this.maskedMethodOf(f.name) }));
    const detect = { kinds: this.policy.detectors, countries: this.policy.countries };
    // Rows of this batch that fall on the sampling stride, counted across batches.
    const first = (this.stride - (this.rowsSeen % this.stride)) % this.stride;
    for (let r = first; r < batch.numRows && this.rowsSampled < this.policy.sampleRows; r += this.stride) {
      this.rowsSampled++;
      for (const { name, read, method } of columns) {
        const v = read(r);
        if (v === null || v === undefined) continue;
        this.valuesScanned++;
        this.sampled.set(name, (this.sampled.get(name) ?? 0) + 1);
        const text = method ? unmaskedRestOf(method, String(v)) : String(v);
        if (!text) continue;
        for (const kind of detectPii(text, detect)) {
          let perKind = this.hits.get(name);
          if (!perKind) this.hits.set(name, (perKind = new Map()));
          perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
        }
      }
    }
    this.rowsSeen += batch.numRows;
  }

  result(): PiiScanResult {
    const findings: PiiFinding[] = [...this.sensitiveFindings];
    const columns: Record<string, Partial<Record<PiiKind, number>>> = {};
    for (const [column, perKind] of this.hits) {
      columns[column] = Object.fromEntries(perKind);
      for (const [kind, matches] of perKind) findings.push({ table: this.table, column, reason: 'pattern', kind, matches, sampled: this.sampled.get(column) ?? 0 });
    }
    return { table: this.table, rowsSampled: this.rowsSampled, valuesScanned: this.valuesScanned, columns, findings };
  }

  /** A masked column's method; 'masked' when the policy says masked without saying how. */
  private maskedMethodOf(column: string): MaskMethod | 'masked' | undefined {
    return this.policy.maskedMethods?.[column] ?? (this.policy.maskedColumns.includes(column) ? 'masked' : undefined);
  }

  private isSafe(column: string): boolean {
    return this.policy.safeColumns.some((g) => columnGlobRegExp(g).test(column));
  }
}

/** Scans a stream of batches of one table (see PiiScanner) and returns what it found. */
export async function scanBatchesForPii(
  table: string,
  batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
  policy: PiiScanPolicy,
  opts: { readonly expectedRows?: number } = {},
): Promise<PiiScanResult> {
  const scanner = new PiiScanner(table, policy, opts);
  for await (const b of batches) scanner.scan(b);
  return scanner.result();
}

/**
 * The policy for data that comes from `entity` (its masked partition, or a curated table built
 * from it) under the config's `mask` section: masked columns are those a rule of the entity
 * names (globs resolved against `columns`), safe columns are the entity's `safe_columns`.
 */
export function piiPolicyFromConfig(mask: Pick<MaskConfig, 'pii_scan' | 'entities'>, entity: string, columns: readonly string[]): PiiScanPolicy {
  const configured = Object.entries(mask.entities[entity] ?? {});
  const ruleOf = (c: string) => configured.find(([k]) => !isColumnGlob(k) && k === c)?.[1] ?? configured.find(([k]) => isColumnGlob(k) && columnGlobRegExp(k).test(c))?.[1];
  const maskedColumns = columns.filter((c) => ruleOf(c));
  const safe = mask.pii_scan.safe_columns
    .map((s) => s.split('.') as [string, string])
    .filter(([e]) => columnGlobRegExp(e).test(entity))
    .map(([, c]) => c);
  return {
    detectors: mask.pii_scan.detectors,
    countries: mask.pii_scan.countries,
    sensitiveColumns: mask.pii_scan.sensitive_columns,
    safeColumns: safe,
    maskedColumns,
    maskedMethods: Object.fromEntries(maskedColumns.map((c) => [c, ruleOf(c)!.method])),
    sampleRows: mask.pii_scan.sample_rows,
  };
}

/** Text and numbers; dates and timestamps are typed values, not text a person typed, and booleans hold nothing. */
function isScannable(type: arrow.DataType): boolean {
  return arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isDictionary(type) || arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type);
}

const HEX_DIGEST = /^[0-9a-f]{32}$|^[0-9a-f]{64}$/;
const TOKEN = /^tok_[a-z2-7]{16}$/;
const MASKED_EMAIL = /^[0-9a-f]{10}@/;

/**
 * What of a masked value still needs scanning: nothing when it is exactly its method's output (a
 * hex digest, a token), the kept domain of an email mask, the whole text otherwise (a value the
 * mask let through, a pattern's kept digits and whatever a malformed value carried along).
 */
function unmaskedRestOf(method: MaskMethod | 'masked', text: string): string {
  if (HEX_DIGEST.test(text)) return method === 'pattern' || method === 'keep_last' ? text : '';
  if ((method === 'tokenize' || method === 'masked') && TOKEN.test(text)) return '';
  if ((method === 'email' || method === 'masked') && MASKED_EMAIL.test(text)) return text.slice(11);
  return text;
}
