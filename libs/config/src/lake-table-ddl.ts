/**
 * DDL that lets other engines query the curated zone in place: one external table (or view) per
 * star-schema table, its columns and types from the warehouse model (the config's declarations:
 * DECIMAL(p,s) where the config says decimal, DATE for day columns), partitioned by the lake's
 * dt=YYYY-MM-DD folders. Pure.
 */
import type { PipelineConfig } from './pipeline-config';
import { warehouseTablesOf, type WarehouseColumn } from './warehouse-model';

/** Engines the DDL is written for. */
export const LAKE_DDL_ENGINES = ['duckdb', 'spark', 'athena'] as const;
export type LakeDdlEngine = (typeof LAKE_DDL_ENGINES)[number];

function typeOf(c: WarehouseColumn, engine: LakeDdlEngine): string {
  switch (c.type) {
    case 'text':
      return engine === 'duckdb' ? 'VARCHAR' : 'STRING';
    case 'int':
      return 'INT';
    case 'bigint':
      return 'BIGINT';
    case 'float':
      return 'DOUBLE';
    case 'decimal':
      return `DECIMAL(${c.precision ?? 18},${c.scale ?? 2})`;
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'bool':
      return 'BOOLEAN';
  }
}

/**
 * The statements for `engine` over the curated zone under `root` (the lake root URI or folder,
 * e.g. s3://bucket/lake): DuckDB views over read_parquet(..., hive_partitioning = true), Spark
 * and Athena/Glue external Parquet tables partitioned by dt, each followed by MSCK REPAIR TABLE
 * to discover the partitions. `database` prefixes the Spark/Athena table names when given.
 */
export function lakeTableDdl(config: Pick<PipelineConfig, 'star_schema' | 'standardize'>, engine: LakeDdlEngine, root: string, database?: string): string {
  const base = root.replace(/\/+$/, '');
  const q = (name: string) => (engine === 'athena' ? `\`${name}\`` : name);
  const out: string[] = [];
  for (const t of warehouseTablesOf(config)) {
    const location = `${base}/curated/${t.name}`;
    if (engine === 'duckdb') {
      out.push(`CREATE OR REPLACE VIEW ${t.name} AS\n  SELECT ${t.columns.map((c) => c.name).join(', ')}, dt\n  FROM read_parquet('${location}/*/*.parquet', hive_partitioning = true);`);
      continue;
    }
    const name = database ? `${q(database)}.${q(t.name)}` : q(t.name);
    const cols = t.columns.map((c) => `  ${q(c.name)} ${typeOf(c, engine)}`).join(',\n');
    out.push(`CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (\n${cols}\n)\nPARTITIONED BY (${q('dt')} STRING)\nSTORED AS PARQUET\nLOCATION '${location}/';`);
    out.push(`MSCK REPAIR TABLE ${name};`);
  }
  return out.join('\n\n') + '\n';
}
