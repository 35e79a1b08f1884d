/**
 * The warehouse follows the star_schema config on every dialect (SQLite, PostgreSQL, MariaDB/MySQL):
 * a music store's sales mapped with the source's own names (track_id, genre, album, artist,
 * invoice_line_id), a renamed dimension (dim_track), an extra dimension attribute (company) and a
 * derived measure (gross_amount) are built by build-star-schema and loaded with DDL generated from
 * the config; the BI view answers with exact cents; the analytical queries this mapping has the
 * columns for answer, the others say what they need. Then a measure and an attribute are added to
 * the config of the loaded warehouse: the load migrates it and no row is lost. A change that
 * cannot be made safely (a decimal's scale) fails with exit 2 naming the config key, and changes
 * nothing.
 *
 * Needs PostgreSQL and MariaDB/MySQL as warehouse-servers.ts says (each case makes and drops its
 * own database).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { validateConfig, warehouseTablesOf, type PipelineConfig, type WarehouseConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import { parse } from 'yaml';
import { runBuildStarSchema } from '../../tasks/build-star-schema/src';
import { loadStarSchema, openWarehouse, runAnalyticalQueries, runSql } from '../../tasks/load-warehouse/src';
import { DEMO_CONFIG } from '../../tasks/load-warehouse/src/curated-fixture.test-util';
import { createTestDatabase, SERVERS } from './warehouse-servers';

const D1 = '2026-11-25';
const D2 = '2026-11-26';

const MUSIC = parse(`
standardize:
  entities:
    tracks:
      source: landing
      key: [track_id]
      columns:
        track_id: { type: string, required: true }
        name: { type: string }
        genre: { type: string }
        album: { type: string }
        artist: { type: string }
        unit_price: { type: "decimal(10,2)" }
    customers:
      source: landing
      key: [customer_id]
      columns:
        customer_id: { type: string, required: true }
        company: { type: string }
        city: { type: string }
        state: { type: string }
        country: { type: string }
    invoice_lines:
      source: landing
      key: [invoice_line_id]
      columns:
        invoice_line_id: { type: string, required: true }
        customer_id: { type: string }
        track_id: { type: string }
        quantity: { type: int }
        unit_price: { type: "decimal(10,2)" }
        total_amount: { type: "decimal(12,2)" }
        discount: { type: "decimal(5,4)" }
        invoice_date: { type: timestamp }
mask:
  entities: {}
star_schema:
  dimensions:
    dim_track:
      source: tracks
      natural_key: track_id
      attributes: [name, genre, album, artist, unit_price]
      indexes: [[genre]]
    dim_customer:
      source: customers
      natural_key: customer_id
      attributes: [company, city, state, country]
      history: type2
      tracked: [city, state, country]
  fact:
    table: fact_sales
    source: invoice_lines
    grain: [invoice_line_id]
    date_column: invoice_date
    measures: [quantity, unit_price, total_amount]
    derived_measures:
      - { name: gross_amount, expression: "round(quantity * unit_price, 2)", scale: 2 }
    lookups:
      - { column: track_id, dimension: dim_track }
      - { column: customer_id, dimension: dim_customer }
quality:
  checks: []
sources:
  - name: landing
    kind: files
    path: /nowhere/dt={ds}
    entities:
      - { name: tracks, pattern: "tracks*.csv", format: csv }
      - { name: customers, pattern: "customers*.csv", format: csv }
      - { name: invoice_lines, pattern: "invoice_lines*.csv", format: csv }
`) as Record<string, unknown>;

/** The music mapping on the demo config's other sections, optionally changed. */
function musicConfig(change: (c: any) => void = () => undefined): PipelineConfig {
  const raw = JSON.parse(JSON.stringify({ ...DEMO_CONFIG, ...MUSIC, mask: { ...DEMO_CONFIG.mask, entities: {}, pii_scan: { ...DEMO_CONFIG.mask.pii_scan, safe_columns: [] } } }));
  change(raw);
  const r = validateConfig(raw);
  if (!r.config) throw new Error(r.errors.join('\n'));
  return r.config;
}

const str = (...names: string[]): ColumnDef[] => names.map((name) => ({ name, kind: 'string' }));
const MASKED: Record<string, ColumnDef[]> = {
  tracks: [...str('track_id', 'name', 'genre', 'album', 'artist', 'composer'), { name: 'unit_price', kind: 'float64' }],
  customers: str('customer_id', 'company', 'city', 'state', 'country'),
  invoice_lines: [
    ...str('invoice_line_id', 'customer_id', 'track_id'),
    { name: 'quantity', kind: 'int32' },
    ...['unit_price', 'total_amount', 'discount'].map((name): ColumnDef => ({ name, kind: 'float64' })),
    { name: 'invoice_date', kind: 'timestamp' },
  ],
};

/** Three tracks, two customers, and invoice lines of ds (prices like 0.99 that floating point sums badly). */
async function writeMasked(lake: Lake, ds: string, lines: number): Promise<void> {
  const data: Record<string, Record<string, unknown>[]> = {
    tracks: [
      { track_id: 'TR1', name: 'For Those About To Rock', genre: 'Rock', album: 'For Those About To Rock', artist: 'AC/DC', unit_price: 0.99 },
      { track_id: 'TR2', name: 'Balls to the Wall', genre: 'Rock', album: 'Balls to the Wall', artist: 'Accept', unit_price: 0.99 },
      { track_id: 'TR3', name: 'Desafinado', genre: 'Jazz', album: 'Getz/Gilberto', artist: 'Stan Getz', composer: 'Antônio Carlos Jobim', unit_price: 1.99 },
    ],
    customers: [
      { customer_id: 'CU1', company: 'Embraer', city: 'São José dos Campos', state: 'SP', country: 'Brazil' },
      { customer_id: 'CU2', company: null, city: 'Stuttgart', state: null, country: 'Germany' },
    ],
    invoice_lines: Array.from({ length: lines }, (_, i) => {
      const price = i % 3 === 2 ? 1.99 : 0.99;
      const quantity = 1 + (i % 2);
      return {
        invoice_line_id: `IL-${ds}-${i}`,
        customer_id: i % 2 ? 'CU2' : 'CU1',
        track_id: `TR${1 + (i % 3)}`,
        quantity,
        unit_price: price,
        total_amount: Math.round(quantity * price * 100) / 100,
        discount: i % 4 === 0 ? 0.1 : null,
        invoice_date: Date.parse(`${ds}T12:00:00Z`),
      };
    }),
  };
  for (const [entity, rows] of Object.entries(data)) {
    const b = new BatchBuilder(MASKED[entity]!);
    rows.forEach((r) => b.appendObject(r));
    const w = lake.openPartition({ dataset: datasets.masked(entity), ds, step: 'mask', runId: 'test', schema: b.schema });
    await w.write(b.finish());
    await w.commit();
  }
}

/** Gross amount of the lines writeMasked makes, in cents, computed here independently. */
const grossCents = (lines: number) => Array.from({ length: lines }, (_, i) => (1 + (i % 2)) * (i % 3 === 2 ? 199 : 99)).reduce((a, b) => a + b, 0);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'warehouse-model-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const targets = [
  { name: 'sqlite', open: async () => ({ warehouse: { client: 'sqlite', sqlite: { filename: path.join(dir, `m-${Date.now()}.sqlite`) }, batch_size: 500 } as WarehouseConfig, drop: async () => undefined }) },
  ...SERVERS.map((server) => ({ name: server.client, open: () => createTestDatabase(server, 'model_test') })),
];

describe.each(targets)('the warehouse model on $name', (target) => {
  it('loads a mapping of the source’s own names, migrates an added measure and attribute without losing rows, and refuses an unsafe change', async () => {
    const t = await target.open();
    const lake = new Lake(new LocalStorage(path.join(dir, `lake-${target.name}-${Date.now()}`)));
    const run = async (config: PipelineConfig, ds: string) => {
      const withWarehouse = { ...config, warehouse: t.warehouse } as PipelineConfig;
      await runBuildStarSchema({ step: 'build-star-schema', ds, runId: `r-${ds}`, config: withWarehouse, lake, log: silentLogger });
      return loadStarSchema({ ds, lake, log: silentLogger, config: withWarehouse });
    };
    const db = openWarehouse(t.warehouse);
    const dialect = t.warehouse.client;
    try {
      await writeMasked(lake, D1, 7);
      await run(musicConfig(), D1);

      const [gross] = await runSql(db, dialect, 'SELECT SUM(gross_amount) AS gross, COUNT(*) AS n FROM fact_sales');
      expect(Number(gross!.n)).toBe(7);
      expect(String(Number(gross!.gross))).toBe((grossCents(7) / 100).toString());
      const byGenre = await runSql(db, dialect, 'SELECT track_genre AS genre, ROUND(SUM(gross_amount), 2) AS gross, COUNT(*) AS n FROM vw_sales_analysis GROUP BY track_genre ORDER BY track_genre');
      expect(byGenre.map((r) => [r.genre, String(Number(r.gross)), Number(r.n)])).toEqual([
        ['Jazz', '5.97', 2],
        ['Rock', '6.93', 5],
      ]);
      const [who] = await runSql(db, dialect, "SELECT customer_company AS company, customer_city AS city, track_artist AS artist FROM vw_sales_analysis WHERE invoice_line_id = 'IL-2026-11-25-0'");
      expect(who).toMatchObject({ company: 'Embraer', city: 'São José dos Campos', artist: 'AC/DC' });

      const config = musicConfig();
      const answers = await runAnalyticalQueries(db, { tables: warehouseTablesOf(config) });
      const period = answers.find((a) => a.name === 'revenue_by_period')!;
      expect(period.skipped).toBeUndefined();
      expect(period.rows).toEqual([expect.objectContaining({ year: 2026, month: 11, transactions: 7 })]);
      expect(answers.find((a) => a.name === 'revenue_by_category')!.skipped).toMatch(/^needs dim_product\./);

      // A measure (discount) and a dimension attribute (composer) added to the config of the
      // loaded warehouse: migrated, D1's rows kept, D2's filled.
      const grown = musicConfig((c) => {
        c.star_schema.fact.measures.push('discount');
        c.standardize.entities.tracks.columns.composer = { type: 'string' };
        c.star_schema.dimensions.dim_track.attributes.push('composer');
      });
      await writeMasked(lake, D2, 4);
      const loaded = await run(grown, D2);
      expect(loaded.metrics).toMatchObject({ tables: { fact_sales: { merge: { inserted: 4 } } } });
      const [after] = await runSql(db, dialect, `SELECT COUNT(*) AS n, COUNT(discount) AS with_discount, SUM(CASE WHEN batch_ds = '${D1}' THEN 1 ELSE 0 END) AS d1 FROM fact_sales`);
      expect([Number(after!.n), Number(after!.with_discount), Number(after!.d1)]).toEqual([11, 1, 7]);
      const composers = await runSql(db, dialect, "SELECT track_id, composer FROM dim_track WHERE track_id <> 'UNKNOWN' ORDER BY track_id");
      expect(composers.map((r) => [r.track_id, r.composer])).toEqual([['TR1', null], ['TR2', null], ['TR3', 'Antônio Carlos Jobim']]);

      // A decimal's scale changed: refused before anything changes.
      const before = await runSql(db, dialect, 'SELECT COUNT(*) AS n FROM fact_sales');
      const unsafe = musicConfig((c) => {
        c.star_schema.fact.measures.push('discount');
        c.standardize.entities.invoice_lines.columns.unit_price = { type: 'decimal(10,3)' };
        c.standardize.entities.tracks.columns.composer = { type: 'string' };
        c.star_schema.dimensions.dim_track.attributes.push('composer');
      });
      const err = await run(unsafe, D2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineError);
      expect((err as PipelineError).exitCode).toBe(ExitCode.usage);
      expect((err as Error).message).toMatch(/fact_sales\.unit_price \(star_schema\.fact\.measures\): the scale changes from 2 to 3/);
      expect(await runSql(db, dialect, 'SELECT COUNT(*) AS n FROM fact_sales')).toEqual(before);
    } finally {
      await db.destroy();
      await t.drop();
    }
  });
});
