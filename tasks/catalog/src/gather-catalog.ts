import type { PipelineConfig } from '@salesflow/config';
import { datasetNameOf } from '@salesflow/lineage';
import { datasets, type Lake, type Manifest } from '@salesflow/lake';
import type { Logger } from '@salesflow/logging';
import { lakeDatasetsOf } from '@salesflow/step';
import { describeDataset, piiMethodOf, type CatalogCheck, type CatalogColumn, type CatalogDataset, type CatalogModel, type CatalogZone, type PartitionPoint } from './catalog-model';

/** What the catalog reads of a quality report (quality/dt=<ds>/report.json). */
interface QualityReportView {
  readonly ds: string;
  readonly status: string;
  readonly summary: { readonly passed: number; readonly failed: number; readonly warned: number };
  readonly checks: readonly (CatalogCheck & { readonly table: string })[];
}

/** What the catalog reads of quality/dt=<ds>/profiles.json. */
interface ProfilesView {
  readonly ds: string;
  readonly datasets: readonly ({ readonly dataset: string } & Record<string, unknown>)[];
}

/** What the catalog reads of a run report or lineage event's datasets. */
interface RunReportView {
  readonly finished_at?: string;
  readonly outputs?: readonly { readonly uri: string; readonly rows: number }[];
}
interface LineageEventView {
  readonly eventType: string;
  readonly inputs?: readonly { readonly namespace: string; readonly name: string }[];
  readonly outputs?: readonly { readonly namespace: string; readonly name: string }[];
}

/** A dataset before its partitions are read: where it is and what it is made of. */
interface Planned {
  readonly id: string;
  readonly zone: CatalogZone;
  readonly name: string;
  readonly step: string;
  readonly entity?: string;
  readonly inputs: readonly string[];
}

/**
 * What a curated table is built from, as build-star-schema reads it: a dimension from its source
 * entity, dim_date from the fact's dates, the fact from its entity and the dimensions it looks
 * its keys up in.
 */
function curatedInputs(config: PipelineConfig, table: string): string[] {
  const star = config.star_schema;
  const dim = star.dimensions[table];
  if (dim) return [datasets.masked(dim.source)];
  if (table === star.fact.table) return [datasets.masked(star.fact.source), ...[...Object.keys(star.dimensions), 'dim_date'].map(datasets.curated)];
  return [datasets.masked(star.fact.source)];
}

/** Every dataset the config makes, in pipeline order, with the ones it is made of. Pure. */
export function plannedDatasets(config: PipelineConfig): Planned[] {
  const star = config.star_schema;
  const sourceOf = (table: string) => (table === star.fact.table ? star.fact.source : star.dimensions[table]?.source);
  const out: Planned[] = [];
  for (const d of lakeDatasetsOf(config)) {
    if (d.zone === 'quality') continue;
    const name = d.dataset.split('/').at(-1)!;
    out.push({ id: d.dataset, zone: d.zone, name, step: d.step, entity: d.zone === 'curated' ? sourceOf(name) : name, inputs: d.zone === 'curated' ? curatedInputs(config, name) : d.inputs });
    // Rows standardize turns away go next to processed, from the same raw partitions.
    if (d.zone === 'processed') out.push({ id: datasets.rejected(name), zone: 'rejected', name, step: 'standardize', entity: name, inputs: d.inputs });
  }
  for (const d of out.filter((p) => p.zone === 'curated')) out.push({ id: `warehouse/${d.name}`, zone: 'warehouse', name: d.name, step: 'load-warehouse', entity: d.entity, inputs: [d.id] });
  return out;
}

/** The ds for which `quality/dt=<ds>/<file>` exists, oldest first (one listing of quality/). */
async function qualityDays(lake: Lake): Promise<{ reports: string[]; profiles: string[] }> {
  const reports: string[] = [];
  const profiles: string[] = [];
  for (const o of await lake.storage.list('quality/dt=')) {
    const m = /^quality\/dt=(\d{4}-\d{2}-\d{2})\/(report|profiles)\.json$/.exec(o.key);
    if (m) (m[2] === 'report' ? reports : profiles).push(m[1]!);
  }
  return { reports: reports.sort(), profiles: profiles.sort() };
}

/** The lake dataset a lineage dataset names (a partition folder), if it is one of `known`. */
function lineageIdOf(ds: { namespace: string; name: string }, known: ReadonlySet<string>): string | undefined {
  const path = ds.name.replace(/\/dt=\d{4}-\d{2}-\d{2}.*$/, '');
  for (const id of known) if (path === id || path.endsWith('/' + id)) return id;
  return undefined;
}

/**
 * Whether a source object an ingest run read (a landing file, a database table, an API path) is
 * the one raw dataset `rawId` was landed from: its name without extensions is the entity's name
 * or its configured table, or it ends with the entity's API path.
 */
function sourceMatches(config: PipelineConfig, rawId: string, inputName: string): boolean {
  const [, , sourceName, entityName] = rawId.split('/');
  const entity = config.sources.find((s) => s.name === sourceName)?.entities.find((e) => e.name === entityName) as { name: string; table?: string; path?: string } | undefined;
  const stem = inputName.split('/').at(-1)!.replace(/\..*$/, '');
  return stem === entityName || (entity?.table !== undefined && stem === entity.table.split('.').at(-1)) || (entity?.path !== undefined && inputName.endsWith(entity.path));
}

/** Reads at most `limit` promises at a time, in order: S3 lakes answer many small GETs faster in parallel. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Reads what the catalog shows from the lake: per dataset the manifests of its last
 * catalog.history_days partitions, the newest quality report and profiles, the load-warehouse run
 * reports (warehouse row counts), and the lineage events of the newest ds (edges the config does
 * not know, such as source tables). Reads only small JSON documents, never a Parquet file.
 */
export async function gatherCatalog(config: PipelineConfig, lake: Lake, log: Logger, now: Date = new Date()): Promise<CatalogModel> {
  const planned = plannedDatasets(config);
  const days = config.catalog.history_days;
  const lakeIds = new Set(planned.filter((p) => p.zone !== 'warehouse').map((p) => p.id));

  const partitions = new Map<string, { all: number; history: PartitionPoint[]; latest?: Manifest }>();
  await mapLimited([...lakeIds], 4, async (id) => {
    const dts = (await lake.listPartitions(id)).sort();
    const recent = dts.slice(-days);
    const manifests = await mapLimited(recent, 8, (ds) => lake.readManifest(id, ds).catch(() => undefined));
    const present = manifests.filter((m): m is Manifest => m !== undefined);
    partitions.set(id, { all: dts.length, history: present.map((m) => ({ ds: m.ds, rows: m.rows, committed_at: m.committed_at })), latest: present.at(-1) });
  });

  const q = await qualityDays(lake);
  const reportDays = q.reports.slice(-days);
  const reports = (await mapLimited(reportDays, 8, (ds) => lake.readJson<QualityReportView>(datasets.qualityPrefix(ds) + 'report.json'))).filter((r): r is QualityReportView => r !== undefined);
  const latestReport = reports.at(-1);
  const latestProfiles = q.profiles.length ? await lake.readJson<ProfilesView>(datasets.qualityPrefix(q.profiles.at(-1)!) + 'profiles.json') : undefined;

  // Warehouse tables: the rows load-warehouse reported, for the days curated facts exist.
  const factDays = partitions.get(datasets.curated(config.star_schema.fact.table))?.history.map((h) => h.ds) ?? [];
  const loads = await mapLimited(factDays, 8, async (ds) => ({ ds, report: await lake.readJson<RunReportView>(datasets.runReportKey(ds, 'load-warehouse')) }));
  const warehouseRows = new Map<string, PartitionPoint[]>();
  for (const { ds, report } of loads) {
    for (const o of report?.outputs ?? []) {
      const table = o.uri.split('/').at(-1)!;
      (warehouseRows.get(table) ?? warehouseRows.set(table, []).get(table)!).push({ ds, rows: o.rows, ...(report?.finished_at ? { committed_at: report.finished_at } : {}) });
    }
  }

  // Edges: the config's (exact per entity), plus the sources each raw dataset was ingested from, as
  // the newest ds's lineage events name them. A step's event lists all its inputs and all its
  // outputs, so only ingest's are paired up, by entity name.
  const edges = new Set<string>();
  for (const p of planned) for (const i of p.inputs) edges.add(`${i}\n${p.id}`);
  const sources = new Map<string, string>();
  const lineageDs = factDays.at(-1) ?? q.reports.at(-1);
  if (lineageDs) {
    const files = (await lake.storage.list(`_lineage/dt=${lineageDs}/ingest`)).filter((o) => o.key.endsWith('.json'));
    for (const f of files) {
      const events = (await lake.readJson<LineageEventView[]>(f.key).catch(() => undefined)) ?? [];
      for (const e of Array.isArray(events) ? events : []) {
        if (e.eventType !== 'COMPLETE') continue;
        const outs = (e.outputs ?? []).map((d) => lineageIdOf(d, lakeIds)).filter((d): d is string => d !== undefined && d.startsWith('raw/'));
        for (const input of e.inputs ?? []) {
          const to = outs.filter((o) => sourceMatches(config, o, input.name));
          const targets = to.length ? to : outs.length === 1 ? outs : [];
          if (!targets.length) continue;
          const where = `${input.namespace}/${input.name.replace(/^\/+/, '').replace(/\/dt=\d{4}-\d{2}-\d{2}(?=\/)/, '')}`;
          const id = `source/${where}`;
          sources.set(id, where);
          for (const t of targets) edges.add(`${id}\n${t}`);
        }
      }
    }
  } else log.warn('the lake has no curated fact partition and no quality report yet: the catalog shows the datasets the config makes, without data');

  const pairs = [...edges].map((e) => e.split('\n') as [string, string]);
  const upstream = (id: string) => [...new Set(pairs.filter(([, to]) => to === id).map(([from]) => from))];
  const downstream = (id: string) => [...new Set(pairs.filter(([from]) => from === id).map(([, to]) => to))];
  const curatedSchema = (name: string) => partitions.get(datasets.curated(name))?.latest?.schema ?? [];

  const out: CatalogDataset[] = [];
  for (const [id, uri] of sources) {
    const name = id.split('/').at(-1)!;
    out.push({ id, zone: 'source', name, uri, step: 'outside the pipeline', ...pick(describeDataset(config.catalog, id, name)), columns: [], partitions: 0, history: [], checks: [], upstream: [], downstream: downstream(id) });
  }
  for (const p of planned) {
    const described = describeDataset(config.catalog, p.id, p.name, p.entity);
    const part = partitions.get(p.id);
    const schema = p.zone === 'warehouse' ? curatedSchema(p.name) : (part?.latest?.schema ?? []);
    // Raw and processed still hold the values the mask rules name; from masked on they are masked.
    const columns: CatalogColumn[] = schema.map((c) => {
      const pii = piiMethodOf(config, p.entity, c.name);
      return { name: c.name, kind: c.kind === 'decimal' ? `decimal(${c.precision},${c.scale})` : c.kind, nullable: c.nullable !== false, ...(described.columns[c.name] ? { description: described.columns[c.name] } : {}), ...(pii ? { pii } : {}) };
    });
    const history = p.zone === 'warehouse' ? (warehouseRows.get(p.name) ?? []) : (part?.history ?? []);
    const newest = history.at(-1)?.committed_at;
    const table = p.zone === 'curated' ? p.name : p.id;
    const checks = p.zone === 'curated' || p.zone === 'masked' ? (latestReport?.checks ?? []).filter((c) => c.table === table) : [];
    const profile = latestProfiles?.datasets.find((d) => d.dataset === p.id);
    out.push({
      id: p.id,
      zone: p.zone,
      name: p.name,
      uri: p.zone === 'warehouse' ? `${config.warehouse.client}://${config.warehouse.client === 'sqlite' ? (config.warehouse.sqlite?.filename ?? '') : (config.warehouse.connection?.database ?? '')}/${p.name}` : lake.storage.uriOf(p.id),
      step: p.step,
      owner: described.owner,
      ...(described.description ? { description: described.description } : {}),
      columns,
      partitions: p.zone === 'warehouse' ? history.length : (part?.all ?? 0),
      history: history.map((h) => ({ ds: h.ds, rows: h.rows, ...(h.committed_at ? { committed_at: h.committed_at } : {}) })),
      ...(newest ? { age_hours: Math.round((now.getTime() - Date.parse(newest)) / 36e4) / 10 } : {}),
      checks: checks.map((c) => ({ name: c.name, check: c.check, severity: c.severity, status: c.status, failing_rows: c.failing_rows, rows_checked: c.rows_checked, message: c.message })),
      ...(checks.length && latestReport ? { quality_ds: latestReport.ds } : {}),
      ...(profile ? { profile } : {}),
      upstream: upstream(p.id),
      downstream: downstream(p.id),
    });
  }
  return Object.freeze({
    pipeline: config.pipeline.name,
    lake_root: lake.storage.rootUri,
    generated_at: now.toISOString(),
    quality: reports.map((r) => ({ ds: r.ds, status: r.status, ...r.summary })),
    datasets: out,
  });
}

function pick(d: { description?: string; owner: string }): { description?: string; owner: string } {
  return d.description ? { description: d.description, owner: d.owner } : { owner: d.owner };
}
