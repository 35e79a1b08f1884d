import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigInvalidError, UsageError } from '@salesflow/errors';
import { interpolateEnv, type EnvLookup } from './interpolate-env';
import type { PipelineConfig } from './pipeline-config';
import { validateConfig } from './validate-config';

export interface ReadConfigResult {
  readonly config: PipelineConfig;
  readonly warnings: readonly string[];
  /** Secret values filled from the environment, for the logger to redact. */
  readonly secrets: readonly string[];
}

/**
 * Env lookup that also reads mounted secrets: NAME from the environment, else the contents of the
 * file named by NAME_FILE (Kubernetes and Docker secrets), trailing newline removed.
 */
export function envWithFiles(env: NodeJS.ProcessEnv = process.env): EnvLookup {
  return (name) => {
    const direct = env[name];
    if (direct !== undefined && direct !== '') return direct;
    const file = env[`${name}_FILE`];
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new UsageError(`${name}_FILE names ${file}, which cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        fix: `mount the secret file there, or set ${name} directly`,
      });
    }
  };
}

const SECRET_PATH = /(password|secret|token|key|credential)/i;

/** Alias uses a config may make in all: a real config needs few; billions of nested ones exhaust memory. */
const MAX_ALIAS_COUNT = 100;

/** Reads, interpolates and validates a config file; throws ConfigInvalidError listing every problem. */
export function readConfig(file: string, lookup: EnvLookup = envWithFiles()): ReadConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read config file ${file}: ${(e as Error).message}`, { fix: 'pass an existing YAML file with --config' });
  }
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ConfigInvalidError(file, doc.errors.map((e) => `YAML syntax (line ${e.linePos?.[0]?.line ?? '?'}): ${e.message.split('\n')[0]}`));
  let data: unknown;
  try {
    // yaml refuses a document whose aliases expand past its limit (an alias bomb) here.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigInvalidError(file, [`YAML: ${(e as Error).message} (aliases *name may be used at most ${MAX_ALIAS_COUNT} times in all; write the values out instead)`]);
  }
  const interpolated = interpolateEnv(data, lookup);
  const result = validateConfig(interpolated.value);
  const errors = [...interpolated.errors, ...result.errors.filter((e) => !interpolated.errors.some((ie) => ie.split(':')[0] === e.split(':')[0]))];
  if (errors.length || !result.config) throw new ConfigInvalidError(file, errors);
  return { config: result.config, warnings: result.warnings, secrets: interpolated.filled.filter((f) => SECRET_PATH.test(f.path)).map((f) => f.value) };
}
