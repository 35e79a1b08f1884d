import { planPipeline } from './pipeline-plan';

describe('planPipeline', () => {
  const sources = [{ name: 'landing' }, { name: 'sales_db' }] as never;

  it('runs the steps in the DAG order, one ingest per source', () => {
    expect(planPipeline({ sources }).map((s) => [s.task, ...s.args].join(' '))).toEqual([
      'setup',
      'ingest --source landing',
      'ingest --source sales_db',
      'standardize',
      'mask',
      'build-star-schema',
      'check-quality',
      'load-warehouse',
    ]);
  });

  it('ends with the catalog when the config enables it, as the DAG does', () => {
    expect(planPipeline({ sources, catalog: { enabled: true } }).at(-1)).toEqual({ task: 'catalog', args: [] });
    expect(planPipeline({ sources, catalog: { enabled: false } }).at(-1)!.task).toBe('load-warehouse');
  });
});
