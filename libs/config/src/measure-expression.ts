/**
 * The expression language of star_schema.fact.derived_measures: numbers, source column names,
 * + - * /, unary minus, parentheses, round(x, digits) and coalesce(a, b, ...). Parsed here so that
 * validateConfig reports a bad expression with its config path; build-star-schema evaluates it.
 */
export type MeasureExpression =
  | { readonly op: 'num'; readonly text: string }
  | { readonly op: 'col'; readonly name: string }
  | { readonly op: 'neg'; readonly arg: MeasureExpression }
  | { readonly op: '+' | '-' | '*' | '/'; readonly left: MeasureExpression; readonly right: MeasureExpression }
  | { readonly op: 'round'; readonly arg: MeasureExpression; readonly digits: number }
  | { readonly op: 'coalesce'; readonly args: readonly MeasureExpression[] };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\S))/y;

/** Parses an expression; throws an Error saying what is wrong and where (character offset). */
export function parseMeasureExpression(text: string): MeasureExpression {
  const tokens: { kind: 'num' | 'name' | 'sym'; text: string; at: number }[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const m = TOKEN.exec(text);
    if (!m) break;
    const at = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? '').length;
    if (m[1] !== undefined) tokens.push({ kind: 'num', text: m[1], at });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', text: m[2], at });
    else if (m[3] !== undefined) {
      if (!'+-*/(),'.includes(m[3])) throw new Error(`unexpected "${m[3]}" at character ${at + 1}`);
      tokens.push({ kind: 'sym', text: m[3], at });
    }
  }
  let i = 0;
  const peek = () => tokens[i];
  const where = () => (peek() ? `at character ${peek()!.at + 1}` : 'at the end');
  const expect = (sym: string) => {
    if (peek()?.text !== sym) throw new Error(`expected "${sym}" ${where()}`);
    i++;
  };
  const sum = (): MeasureExpression => {
    let left = product();
    while (peek()?.text === '+' || peek()?.text === '-') {
      const op = tokens[i++]!.text as '+' | '-';
      left = { op, left, right: product() };
    }
    return left;
  };
  const product = (): MeasureExpression => {
    let left = unary();
    while (peek()?.text === '*' || peek()?.text === '/') {
      const op = tokens[i++]!.text as '*' | '/';
      left = { op, left, right: unary() };
    }
    return left;
  };
  const unary = (): MeasureExpression => {
    if (peek()?.text === '-') {
      i++;
      return { op: 'neg', arg: unary() };
    }
    return atom();
  };
  const atom = (): MeasureExpression => {
    const t = peek();
    if (!t) throw new Error('the expression ends too early');
    i++;
    if (t.kind === 'num') return { op: 'num', text: t.text };
    if (t.text === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t.kind !== 'name') throw new Error(`unexpected "${t.text}" at character ${t.at + 1}`);
    if (peek()?.text !== '(') return { op: 'col', name: t.text };
    i++;
    const args: MeasureExpression[] = [sum()];
    while (peek()?.text === ',') {
      i++;
      args.push(sum());
    }
    expect(')');
    const fn = t.text.toLowerCase();
    if (fn === 'coalesce') return { op: 'coalesce', args };
    if (fn === 'round') {
      const digits = args[1];
      if (args.length !== 2 || digits?.op !== 'num' || !/^\d$/.test(digits.text)) throw new Error(`round takes (expression, digits 0-9) at character ${t.at + 1}`);
      return { op: 'round', arg: args[0]!, digits: Number(digits.text) };
    }
    throw new Error(`unknown function ${t.text} at character ${t.at + 1}; known: round, coalesce`);
  };
  if (!tokens.length) throw new Error('the expression is empty');
  const e = sum();
  if (i < tokens.length) throw new Error(`unexpected "${tokens[i]!.text}" at character ${tokens[i]!.at + 1}`);
  return e;
}

/** The source columns an expression reads. */
export function columnsOfExpression(e: MeasureExpression): string[] {
  const out = new Set<string>();
  const walk = (x: MeasureExpression): void => {
    if (x.op === 'col') out.add(x.name);
    else if (x.op === 'neg' || x.op === 'round') walk(x.arg);
    else if (x.op === 'coalesce') x.args.forEach(walk);
    else if (x.op !== 'num') {
      walk(x.left);
      walk(x.right);
    }
  };
  walk(e);
  return [...out];
}
