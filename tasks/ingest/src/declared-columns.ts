import type { PipelineConfig } from '@salesflow/config';

/** The source column names standardize expects for an entity of this source (its `from` or column names); undefined when it is not standardized. */
export function declaredColumnsOf(config: PipelineConfig, source: string, entity: string): string[] | undefined {
  const std = config.standardize.entities[entity];
  if (!std || !std.sources.includes(source)) return undefined;
  return Object.entries(std.columns).map(([name, spec]) => spec.from ?? name);
}
