/** Parts of a date or time read from text; absent parts default (day 1, midnight, no offset). */
export interface DateParts {
  readonly y: number;
  readonly m: number;
  readonly d: number;
  readonly h: number;
  readonly mi: number;
  readonly s: number;
  readonly ms: number;
  /** "Z", "+02:00", "-0530"; undefined when the text has no zone. */
  readonly zone?: string;
}

const TOKENS: readonly [string, string, keyof DateParts | 'zone'][] = [
  ['YYYY', '(\\d{4})', 'y'],
  ['SSS', '(\\d{1,3})', 'ms'],
  ['MM', '(\\d{2})', 'm'],
  ['DD', '(\\d{2})', 'd'],
  ['HH', '(\\d{2})', 'h'],
  ['mm', '(\\d{2})', 'mi'],
  ['ss', '(\\d{2})', 's'],
  ['M', '(\\d{1,2})', 'm'],
  ['D', '(\\d{1,2})', 'd'],
  ['H', '(\\d{1,2})', 'h'],
  ['Z', '(Z|[+-]\\d{2}:?\\d{2})', 'zone'],
];

/**
 * Compiles a format hint such as "MM/DD/YYYY", "MM/YYYY", "DD.MM.YYYY HH:mm" or "YYYYMMDD" into a
 * parser of whole values. Tokens: YYYY, MM/M, DD/D, HH/H, mm, ss, SSS, Z (offset); anything else
 * is literal. Throws on a format without YYYY. Pure.
 */
export function compileDateFormat(format: string): (text: string) => DateParts | undefined {
  let re = '^';
  const fields: (keyof DateParts | 'zone')[] = [];
  for (let i = 0; i < format.length; ) {
    const t = TOKENS.find(([tok]) => format.startsWith(tok, i));
    if (t) {
      re += t[1];
      fields.push(t[2]);
      i += t[0].length;
    } else {
      re += format[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  if (!fields.includes('y')) throw new Error(`date format "${format}" has no YYYY`);
  const regex = new RegExp(re + '$');
  return (text) => {
    const m = regex.exec(text);
    if (!m) return undefined;
    const p: Record<string, number | string> = { y: 0, m: 1, d: 1, h: 0, mi: 0, s: 0, ms: 0 };
    fields.forEach((f, k) => {
      const v = m[k + 1]!;
      p[f] = f === 'zone' ? v : f === 'ms' ? Number(v.padEnd(3, '0')) : Number(v);
    });
    return p as unknown as DateParts;
  };
}
