import { createLogger, registerSecret, startProgress } from './index';

function capture() {
  const lines: string[] = [];
  return { lines, write: (l: string) => lines.push(l) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with bound fields', () => {
    const c = capture();
    const log = createLogger({ write: c.write, format: 'json', bindings: { step: 'ingest', ds: '2026-11-26' } });
    log.child({ run: 'r1' }).info('hello', { rows: 3 });
    const obj = JSON.parse(c.lines[0]!);
    expect(obj).toMatchObject({ level: 'info', msg: 'hello', step: 'ingest', ds: '2026-11-26', run: 'r1', rows: 3 });
  });

  it('never prints secrets: secret-looking keys, passwords in URLs, registered values', () => {
    const c = capture();
    registerSecret('s3cr3t-value-xyz');
    const log = createLogger({ write: c.write, format: 'json' });
    log.error('connect to postgres://app:hunter22@db:5432/x failed with s3cr3t-value-xyz', { password: 'pw1234', nested: { apiKey: 'k-123456' } });
    const line = c.lines[0]!;
    expect(line).not.toContain('hunter22');
    expect(line).not.toContain('s3cr3t-value-xyz');
    expect(line).not.toContain('pw1234');
    expect(line).not.toContain('k-123456');
    expect(line).toContain('postgres://app:***@db:5432/x');
  });

  it('drops lines below the level', () => {
    const c = capture();
    createLogger({ write: c.write, format: 'json', level: 'warn' }).info('quiet');
    expect(c.lines).toHaveLength(0);
  });
});

describe('startProgress', () => {
  it('logs at the interval, not on every add', () => {
    const c = capture();
    let t = 0;
    const p = startProgress(createLogger({ write: c.write, format: 'json' }), 'read', { intervalMs: 1000, clock: () => t });
    for (let i = 0; i < 10; i++) {
      t += 250;
      p.add(100);
    }
    expect(c.lines).toHaveLength(2);
    expect(JSON.parse(c.lines[1]!)).toMatchObject({ rows: 800, rowsPerSecond: 400 });
    expect(p.done()).toBe(1000);
  });
});

describe('redactText and redactDocument', () => {
  const { redactText, redactDocument, registerSecret } = require('./index') as typeof import('./index');
  it('hides URL passwords that hold "/" or "@"', () => {
    expect(redactText('postgres://etl:pw@db:5432/sales')).toBe('postgres://etl:***@db:5432/sales');
    expect(redactText('postgres://etl:p/ss@w0rd@db:5432/sales failed')).toBe('postgres://etl:***@db:5432/sales failed');
    expect(redactText('{"url":"mysql://u:a@b/c@h/db","x":"y@z"}')).toBe('{"url":"mysql://u:***@h/db","x":"y@z"}');
    expect(redactText('https://example.com:8080/path and a@b.com')).toBe('https://example.com:8080/path and a@b.com');
  });
  it('redacts every string of a stored document and keeps counts', () => {
    registerSecret('registered-secret-value-42');
    const doc = { error: 'boom with registered-secret-value-42', lineage: { url: 'http://u:s3cr/t@lineage:5000/api' }, vault: { tokens: 250, tokenize_key_id: 't1' }, api_key: 'abc', list: ['registered-secret-value-42'] };
    expect(redactDocument(doc)).toEqual({ error: 'boom with ***', lineage: { url: 'http://u:***@lineage:5000/api' }, vault: { tokens: 250, tokenize_key_id: 't1' }, api_key: '***', list: ['***'] });
  });
});
