import type { DatabaseEntityConfig } from '@salesflow/config';
import { buildSelect } from './build-select';
import { cursorBounds } from './database-extractor';

const entity = (e: Partial<DatabaseEntityConfig>) => ({ name: 'x', lookback: 0, ...e }) as DatabaseEntityConfig;

describe('buildSelect', () => {
  it('turns placeholders of a query into typed session parameters, leaving literals alone', () => {
    const e = entity({ query: "SELECT * FROM orders WHERE placed_at >= {data_interval_start} AND placed_at < {data_interval_end} AND note <> '{ds}' AND day = {ds};" });
    expect(buildSelect('postgres', e, 'k').describeSql).toBe(
      "SELECT * FROM (SELECT * FROM orders WHERE placed_at >= current_setting('salesflow.data_interval_start')::timestamptz AND placed_at < current_setting('salesflow.data_interval_end')::timestamptz AND note <> '{ds}' AND day = current_setting('salesflow.ds')::date) AS src LIMIT 0",
    );
    expect(buildSelect('mysql', e, 'k').sql).toBe(
      "SELECT * FROM (SELECT * FROM orders WHERE placed_at >= CAST(@salesflow_data_interval_start AS DATETIME(6)) AND placed_at < CAST(@salesflow_data_interval_end AS DATETIME(6)) AND note <> '{ds}' AND day = CAST(@salesflow_ds AS DATE)) AS src",
    );
  });

  it('reads a table with its where and the cursor range, each bound a parameter', () => {
    const e = entity({ table: 'sales', columns: ['id', 'updated_at'], where: 'region = {ds}', cursor_column: 'updated_at', primary_key: ['id'] });
    expect(buildSelect('postgres', e, 'k', { fromType: 'timestamp', to: true })).toEqual({
      sql: `SELECT "id", "updated_at" FROM "sales" WHERE (region = current_setting('salesflow.ds')::date) AND "updated_at" >= current_setting('salesflow.cursor_from')::timestamptz AND "updated_at" < current_setting('salesflow.cursor_to')::timestamptz`,
      describeSql: `SELECT "id", "updated_at" FROM "sales" WHERE (region = current_setting('salesflow.ds')::date) LIMIT 0`,
    });
    expect(buildSelect('mysql', entity({ table: 'sales', cursor_column: 'id', primary_key: ['id'] }), 'k', { fromType: 'int' }).sql).toBe('SELECT * FROM `sales` WHERE `id` >= CAST(@salesflow_cursor_from AS SIGNED)');
    // A full refresh: history up to the interval end, rows without a cursor value included.
    expect(buildSelect('mysql', entity({ table: 'sales', cursor_column: 'at', primary_key: ['id'] }), 'k', { to: true }).sql).toBe('SELECT * FROM `sales` WHERE (`at` < CAST(@salesflow_cursor_to AS DATETIME(6)) OR `at` IS NULL)');
  });
});

describe('cursorBounds', () => {
  const run = (fullRefresh = false) => ({ ds: '2026-11-25', interval: { start: '2026-11-25T02:00:00.000Z', end: '2026-11-26T02:00:00.000Z' }, fullRefresh });
  const prev = { cursor: 'updated_at', cursor_type: 'timestamp' as const, watermark: '2026-11-25T01:30:00.000Z', boundary: [] };

  it('reads a time cursor from the previous watermark minus the lookback, up to the interval end', () => {
    expect(cursorBounds('timestamp', 3600, prev, run())).toEqual({ from: { type: 'timestamp', value: '2026-11-25 00:30:00.000' }, to: '2026-11-26T02:00:00.000Z' });
  });

  it('never reaches below where the previous day read from: rows there belong to days before', () => {
    const from = { type: 'timestamp' as const, value: '2026-11-25 01:00:00.000' };
    expect(cursorBounds('timestamp', 3600, prev, run(), from).from).toEqual(from);
    expect(cursorBounds('timestamp', 3600, prev, run(), { type: 'timestamp', value: '2026-11-24 02:00:00.000' }).from).toEqual({ type: 'timestamp', value: '2026-11-25 00:30:00.000' });
    expect(cursorBounds('date', 86400, { ...prev, cursor_type: 'date', watermark: '2026-11-25' }, run(), { type: 'timestamp', value: '2026-11-25 02:00:00.000' }).from).toEqual({ type: 'timestamp', value: '2026-11-25 02:00:00.000' });
  });

  it('reads a first day from its interval start, and all history up to the end on a full refresh', () => {
    expect(cursorBounds('date', 0, undefined, run())).toEqual({ from: { type: 'timestamp', value: '2026-11-25 02:00:00.000' }, to: '2026-11-26T02:00:00.000Z' });
    expect(cursorBounds('timestamp', 0, undefined, run(true))).toEqual({ to: '2026-11-26T02:00:00.000Z' });
  });

  it('leaves an integer cursor without an upper bound: it has no time to window by', () => {
    expect(cursorBounds('int', 5, { ...prev, cursor_type: 'int', watermark: '100' }, run())).toEqual({ from: { type: 'int', value: '95' }, to: undefined });
    expect(cursorBounds('int', 0, undefined, run())).toEqual({ to: undefined });
  });
});
