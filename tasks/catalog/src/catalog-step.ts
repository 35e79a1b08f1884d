import type { StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { gatherCatalog } from './gather-catalog';
import { renderCatalogHtml } from './render-catalog-html';

/** The lake key of the catalog site: metadata, next to _runs/ and _lineage/. */
export const CATALOG_KEY = '_catalog/index.html';

/**
 * Builds the catalog from the config and the lake (manifests, run reports, quality reports,
 * profiles, lineage events) and writes it to _catalog/index.html. It shows the lake as it is, so
 * --ds only names the run; re-running gives the same page but for the build time.
 */
export async function runCatalog(ctx: StepContext): Promise<StepResult> {
  const model = await gatherCatalog(ctx.config, ctx.lake, ctx.log);
  const html = renderCatalogHtml(model);
  await ctx.lake.storage.putBytes(CATALOG_KEY, html, 'text/html; charset=utf-8');
  const uri = ctx.lake.storage.uriOf(CATALOG_KEY);
  ctx.log.info(`catalog written: ${model.datasets.length} datasets`, { catalog: uri, bytes: Buffer.byteLength(html) });
  return { rowsIn: 0, rowsOut: model.datasets.length, inputs: [], outputs: [{ uri, rows: model.datasets.length }], metrics: { datasets: model.datasets.length, bytes: Buffer.byteLength(html) } };
}

export const catalogStep: StepDefinition = {
  name: 'catalog',
  description: 'Builds the static data catalog (every dataset of every zone and the warehouse: schema, owner, PII, freshness, row counts, checks, profile, lineage) into _catalog/index.html.',
  run: runCatalog,
};
