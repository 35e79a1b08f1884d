import { ExitCode, PipelineError } from '@salesflow/errors';

/**
 * A masking rule that cannot be applied (its column is not in the data, a pattern rule without a
 * pattern, rules for an entity that is not standardized). A configuration problem: exit 2, and a
 * retry will not help. `configPath` is the dotted YAML path, e.g. "mask.entities.customers.email".
 */
export class MaskRuleInvalidError extends PipelineError {
  readonly configPath: string;

  constructor(configPath: string, problem: string, opts: { fix: string; entity?: string; column?: string }) {
    super(`${configPath}: ${problem}`, {
      exitCode: ExitCode.usage,
      context: { key: configPath, entity: opts.entity, column: opts.column },
      fix: opts.fix,
    });
    this.configPath = configPath;
  }
}
