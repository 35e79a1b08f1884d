import path from 'node:path';
import { readConfig, validateConfig } from './index';
import { checkSqlPlaceholders, splitSqlPlaceholders } from './sql-placeholders';

const names = (sql: string, d: 'postgres' | 'mysql') => splitSqlPlaceholders(sql, d).flatMap((p) => ('placeholder' in p ? [p.placeholder] : []));

describe('splitSqlPlaceholders', () => {
  it('finds placeholders in SQL code and keeps the text around them', () => {
    const parts = splitSqlPlaceholders('SELECT * FROM t WHERE d >= {data_interval_start} AND d < {data_interval_end}', 'postgres');
    expect(parts).toEqual([
      { text: 'SELECT * FROM t WHERE d >= ' },
      { placeholder: 'data_interval_start', offset: 27 },
      { text: ' AND d < ' },
      { placeholder: 'data_interval_end', offset: 57 },
    ]);
  });

  it('leaves braces in strings, quoted identifiers, comments and dollar quotes alone', () => {
    const pg = `SELECT '{ds}', E'\\'{ds}', "{ds}", $$ {ds} $$, $t$ {ds} $t$ -- {ds}\n /* {ds} */ FROM t WHERE x = {ds} AND a = '{1,2}'`;
    expect(names(pg, 'postgres')).toEqual(['ds']);
    const my = "SELECT '\\'{ds}', `{ds}`, \"{ds}\" # {ds}\n FROM t WHERE d = {ds}";
    expect(names(my, 'mysql')).toEqual(['ds']);
  });

  it('reports an unknown placeholder with its key, position and the known names', () => {
    expect(checkSqlPlaceholders('SELECT * FROM t WHERE d = {day}', 'mysql', 'sources.1.entities.0.query')).toEqual([
      'sources.1.entities.0.query: unknown placeholder {day} at character 27; use one of {ds}, {data_interval_start}, {data_interval_end} (they are sent as bound parameters), or put the braces inside a string literal',
    ]);
    expect(checkSqlPlaceholders("SELECT '{day}' FROM t WHERE d = {ds}", 'mysql', 'k')).toEqual([]);
  });
});

describe('database source placeholders in the config', () => {
  const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
  const withEntities = (entities: unknown[]) => {
    const raw = JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config)) as { sources: unknown[] };
    raw.sources.push({ name: 'db', kind: 'database', client: 'postgres', connection: { host: 'h', user: 'u', database: 'd' }, entities });
    return raw;
  };

  it('accepts the interval placeholders in a query and a table condition', () => {
    const r = validateConfig(
      withEntities([
        { name: 'a', query: 'SELECT * FROM orders WHERE placed_at >= {data_interval_start} AND placed_at < {data_interval_end}' },
        { name: 'b', table: 'orders', where: 'order_date = {ds}' },
      ]),
    );
    expect(r.errors).toEqual([]);
    expect(r.config?.sources[1]).toMatchObject({ entities: [{ name: 'a' }, { name: 'b', where: 'order_date = {ds}' }] });
  });

  it('names the key of an unknown placeholder, a where beside a query, and a where with more SQL', () => {
    const r = validateConfig(
      withEntities([
        { name: 'a', query: 'SELECT * FROM orders WHERE placed_at >= {start}' },
        { name: 'b', table: 'orders', where: 'd = {ds}; DROP TABLE orders' },
        { name: 'c', query: 'SELECT 1', where: 'x = 1' },
        { name: 'd', table: 'orders', where: 'd < {date_interval_end}' },
      ]),
    );
    expect(r.errors).toEqual([
      expect.stringMatching(/^sources\.1\.entities\.0\.query: unknown placeholder \{start\} at character 41;/),
      'sources.1.entities.1.where: must be a condition, without ";"',
      'sources.1.entities.2.where: goes with table; write the condition inside the query',
      expect.stringMatching(/^sources\.1\.entities\.3\.where: unknown placeholder \{date_interval_end\}/),
    ]);
  });
});
