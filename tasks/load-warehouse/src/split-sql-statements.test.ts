import { splitSqlStatements } from './split-sql-statements';

describe('splitSqlStatements', () => {
  it('splits on top-level semicolons and drops comments and empty statements', () => {
    const sql = `-- header; not a statement
CREATE TABLE a (x INT); /* block; comment */
;;
INSERT INTO a VALUES (1) -- trailing; comment
;`;
    expect(splitSqlStatements(sql, 'sqlite')).toEqual(['CREATE TABLE a (x INT)', 'INSERT INTO a VALUES (1)']);
  });

  it('keeps semicolons inside strings and quoted identifiers', () => {
    const sql = `SELECT 'a;b', 'it''s; ok' AS "x;y"; SELECT 2`;
    expect(splitSqlStatements(sql, 'postgres')).toEqual([`SELECT 'a;b', 'it''s; ok' AS "x;y"`, 'SELECT 2']);
  });

  it('keeps -- and /* inside strings', () => {
    expect(splitSqlStatements(`SELECT '-- no', '/* no */'; SELECT 1`, 'sqlite')).toEqual([`SELECT '-- no', '/* no */'`, 'SELECT 1']);
  });

  it('handles PostgreSQL dollar quotes', () => {
    const sql = `CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT $$a;b$$`;
    expect(splitSqlStatements(sql, 'postgres')).toEqual([`CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql`, 'SELECT $$a;b$$']);
  });

  it('handles MySQL backticks, backslash escapes and # comments', () => {
    const sql = "SELECT `a;b`, 'x\\';y' # comment; here\n; SELECT 2";
    expect(splitSqlStatements(sql, 'mysql')).toEqual(["SELECT `a;b`, 'x\\';y'", 'SELECT 2']);
  });

  it('does not treat backslashes as escapes outside MySQL', () => {
    expect(splitSqlStatements(`SELECT 'a\\'; SELECT 2`, 'postgres')).toEqual([`SELECT 'a\\'`, 'SELECT 2']);
  });

  it('throws on an unterminated string', () => {
    expect(() => splitSqlStatements(`SELECT 'oops; SELECT 2`, 'sqlite')).toThrow(/unterminated ' quote/);
  });
});
