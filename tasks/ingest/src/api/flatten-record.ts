import { RawNumber, stringifyExact } from '../files/exact-json';

/**
 * A JSON record as flat columns: nested objects become parent_child columns down to `depth`
 * levels; deeper objects and every array stay JSON text. Numbers (RawNumber) become their exact
 * source text; other scalars are kept as they are. Pure.
 */
export function flattenRecord(record: Readonly<Record<string, unknown>>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (obj: Readonly<Record<string, unknown>>, prefix: string, level: number) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}_${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawNumber) && level < depth) walk(v as Record<string, unknown>, name, level + 1);
      else out[name] = v instanceof RawNumber ? v.text : v !== null && typeof v === 'object' ? stringifyExact(v) : v;
    }
  };
  walk(record, '', 0);
  return out;
}

/** The value at a dotted path ("data.items"); the whole value for an empty path. */
export function valueAt(body: unknown, path: string): unknown {
  if (!path) return body;
  let v: unknown = body;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v instanceof RawNumber ? v.text : v;
}

/** The rel="next" URL of an RFC 8288 Link header, or undefined. */
export function nextLinkOf(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const part of text.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return m[1];
  }
  return undefined;
}
