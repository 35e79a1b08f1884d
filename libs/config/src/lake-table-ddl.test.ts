import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { lakeTableDdl } from './lake-table-ddl';
import { readConfig } from './read-config';

const REPO = path.resolve(__dirname, '../../..');

describe('lakeTableDdl', () => {
  // Secrets are not needed for DDL: 64 hex digits stand in for the ones without a default.
  const file = path.join(REPO, 'config', 'pipeline_config.yaml');
  const secrets = new Set([...readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!));
  const { config } = readConfig(file, (name) => (secrets.has(name) ? '0'.repeat(64) : undefined));

  it('declares the config decimals as DECIMAL(p,s) and batch_ds as DATE, partitioned by dt', () => {
    const athena = lakeTableDdl(config!, 'athena', 's3://lake/prefix/', 'sales');
    expect(athena).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS `sales`.`fact_sales` (');
    expect(athena).toContain('`total_amount` DECIMAL(14,2)');
    expect(athena).toContain('`discount` DECIMAL(5,4)');
    expect(athena).toContain('`batch_ds` DATE');
    expect(athena).toContain("PARTITIONED BY (`dt` STRING)\nSTORED AS PARQUET\nLOCATION 's3://lake/prefix/curated/fact_sales/';");
    expect(athena).toContain('MSCK REPAIR TABLE `sales`.`fact_sales`;');
    expect(lakeTableDdl(config!, 'spark', '/lake')).toContain('  unit_price DECIMAL(12,2),');
  });

  it('gives DuckDB views over read_parquet with hive partitioning', () => {
    expect(lakeTableDdl(config!, 'duckdb', '/data/lake')).toContain("FROM read_parquet('/data/lake/curated/fact_sales/*/*.parquet', hive_partitioning = true);");
  });
});
