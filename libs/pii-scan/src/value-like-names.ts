import { detectPii } from './detect-pii';

/** A column name that reads like a value, by its position; never the name itself. */
export interface ValueLikeName {
  /** 0-based position of the name in the list given. */
  readonly index: number;
  /** What it looks like, e.g. "an email", "a number or date". */
  readonly looksLike: string;
}

const NUMBER_OR_DATE = /^[\s\p{Nd}.,:/+()$€£%#-]+$/u;

/**
 * The names among `names` that look like data rather than column names: personal data the scan
 * recognises, an "@", a number, date or amount, or a long text. A CSV landed without its header
 * turns its first row into names like these, and they must not travel into logs, lineage or
 * manifests. Reports positions and kinds only. Pure.
 */
export function findValueLikeNames(names: readonly string[]): ValueLikeName[] {
  const out: ValueLikeName[] = [];
  names.forEach((raw, index) => {
    const name = raw.normalize('NFKC').trim();
    const kind = detectPii(name)[0];
    if (kind) out.push({ index, looksLike: `a value of kind ${kind}` });
    else if (name.includes('@')) out.push({ index, looksLike: 'an email' });
    else if (/\p{Nd}/u.test(name) && NUMBER_OR_DATE.test(name)) out.push({ index, looksLike: 'a number, date or amount' });
    else if (name.length > 64) out.push({ index, looksLike: 'a long text' });
  });
  return out;
}
