import type { StepContext, StepDefinition } from '@salesflow/step';
import { loadStarSchema } from './load-star-schema';
import { requirePassedQuality } from './require-passed-quality';
import { warehouseTablesOf } from './warehouse-tables';

/** The load-warehouse step: the curated star schema of --ds into the configured warehouse, in one transaction. */
export const loadWarehouseStep: StepDefinition = Object.freeze({
  name: 'load-warehouse',
  description:
    'Loads the curated star schema of --ds into the warehouse (SQLite, PostgreSQL or MySQL) in one transaction: ' +
    'dimensions upserted by surrogate key, the fact rows of the ds batch merged on the grain (a grain moves to the newest batch that carries it; PostgreSQL through COPY). Creates missing tables first. ' +
    'Refuses a ds whose quality report is missing, failed, or older than its curated partitions.',
  run: async (ctx: StepContext) => {
    await requirePassedQuality(
      ctx.lake,
      ctx.ds,
      warehouseTablesOf(ctx.config).map((t) => t.name),
    );
    return loadStarSchema(ctx);
  },
});
