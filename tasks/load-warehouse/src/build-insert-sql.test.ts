import { buildInsertSql, rowsPerInsert } from './build-insert-sql';

describe('buildInsertSql', () => {
  it('builds a multi-row insert', () => {
    expect(buildInsertSql('postgres', 'fact_sales', ['a', 'b'], 2)).toBe('INSERT INTO "fact_sales" ("a", "b") VALUES (?, ?), (?, ?)');
  });

  it('builds an upsert that overwrites every column but the key', () => {
    expect(buildInsertSql('sqlite', 'dim_x', ['x_key', 'year', 'name'], 1, { conflictKey: ['x_key'] })).toBe(
      'INSERT INTO "dim_x" ("x_key", "year", "name") VALUES (?, ?, ?) ON CONFLICT ("x_key") DO UPDATE SET "year" = excluded."year", "name" = excluded."name"',
    );
    expect(buildInsertSql('mysql', 'dim_x', ['x_key', 'name'], 1, { conflictKey: ['x_key'] })).toBe(
      'INSERT INTO `dim_x` (`x_key`, `name`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)',
    );
  });
});

describe('rowsPerInsert', () => {
  it('caps the batch size by the dialect parameter limit', () => {
    expect(rowsPerInsert('sqlite', 12, 500)).toBe(500);
    expect(rowsPerInsert('sqlite', 12, 100_000)).toBe(2730);
    expect(rowsPerInsert('postgres', 12, 100_000)).toBe(5461);
    expect(rowsPerInsert('mysql', 1000, 1)).toBe(1);
  });
});
