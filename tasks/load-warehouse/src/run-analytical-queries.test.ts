import { parseNamedQueries, readAnalyticalQueries } from './run-analytical-queries';

describe('parseNamedQueries', () => {
  it('splits on -- name: lines and ignores the header', () => {
    const text = `-- header; with a semicolon\n\n-- name: one\n-- about one\nSELECT 1;\n\n-- name: two\nSELECT ';' AS x\n`;
    expect(parseNamedQueries(text)).toEqual([
      { name: 'one', sql: 'SELECT 1' },
      { name: 'two', sql: "SELECT ';' AS x" },
    ]);
  });

  it('refuses a section with two statements or a name used twice', () => {
    expect(() => parseNamedQueries('-- name: a\nSELECT 1; SELECT 2;')).toThrow(/exactly one statement, found 2/);
    expect(() => parseNamedQueries('-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;')).toThrow(/named twice/);
  });

  it('reads the seven queries from sql/analytical_queries.sql', async () => {
    const queries = await readAnalyticalQueries();
    expect(queries.map((q) => q.name)).toEqual(['revenue_by_category', 'revenue_by_period', 'top_customers', 'revenue_by_region', 'top_products', 'monthly_trend', 'customer_segments']);
    // A "?" would become a bind placeholder in some drivers.
    expect(queries.every((q) => !q.sql.includes('?'))).toBe(true);
  });
});
