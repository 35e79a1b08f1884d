import { ConfigInvalidError, UsageError } from '@salesflow/errors';
import type { DeferredRef, EnvLookup } from './interpolate-env';
import type { PipelineConfig } from './pipeline-config';
import { validateConfig } from './validate-config';

/**
 * The config paths whose `${NAME}` is resolved only when read: passwords, keys, tokens and client
 * secrets. A step that never reads one never asks the environment for it, so each step needs
 * only the secrets of its own work (docs/security.md has the table).
 */
const SECRET_FIELD = /(^|\.)(password|hmac_key|tokenize_key|client_secret|api_key|token)$|^mask\.vault\.key$|(^|\.)previous_keys\.[^.]+$|\.auth\.value$/;

/** Whether a dotted config path holds a secret that is resolved lazily. */
export function isLazySecretPath(path: string): boolean {
  return SECRET_FIELD.test(path);
}

/**
 * A deep copy of the validated config in which every deferred secret is a getter: the first read
 * looks the variable up (env or NAME_FILE), checks the value against the schema (the whole config
 * validated again with it in place, errors of that path kept), hands it to `onSecret` for
 * redaction and keeps it. A missing variable or a bad value throws there, with exit 2, naming
 * the path and the variable. The copy is frozen like the config.
 */
export function withLazySecrets(config: PipelineConfig, tree: unknown, deferred: readonly DeferredRef[], lookup: EnvLookup, file: string, onSecret: (value: string) => void): PipelineConfig {
  const byPath = new Map(deferred.map((d) => [d.path, d]));
  const copy = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => copy(v, join(path, String(i))));
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const p = join(path, k);
      const ref = byPath.get(p);
      if (!ref) {
        out[k] = copy(v, p);
        continue;
      }
      let resolved: { value: string | undefined } | undefined;
      Object.defineProperty(out, k, {
        enumerable: true,
        get: () => (resolved ??= { value: resolve(ref) }).value,
      });
    }
    return out;
  };
  const resolve = (ref: DeferredRef): string | undefined => {
    const found = lookup(ref.name);
    const value = found !== undefined && found !== '' ? found : ref.fallback;
    if (value === undefined) {
      throw new UsageError(`${ref.path}: environment variable ${ref.name} is not set, and this step reads it`, {
        fix: `set ${ref.name} (or ${ref.name}_FILE to a mounted file holding it) for this step, or write \${${ref.name}:-default}`,
      });
    }
    if (value === '') return undefined;
    const errors = validateConfig(setAt(tree, ref.path, value)).errors.filter((e) => e.startsWith(`${ref.path}:`) || e.startsWith(`${ref.path}.`));
    if (errors.length) throw new ConfigInvalidError(file, errors.map((e) => e.replace(value, '***')));
    if (found) onSecret(value);
    return value;
  };
  return deepFreeze(copy(config, '')) as PipelineConfig;
}

function setAt(tree: unknown, path: string, value: string): unknown {
  const [head, ...rest] = path.split('.');
  if (Array.isArray(tree)) return tree.map((v, i) => (String(i) === head ? (rest.length ? setAt(v, rest.join('.'), value) : value) : v));
  const o = (tree ?? {}) as Record<string, unknown>;
  return { ...o, [head!]: rest.length ? setAt(o[head!], rest.join('.'), value) : value };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    // Getters are left unread: reading one would resolve its secret.
    for (const d of Object.values(Object.getOwnPropertyDescriptors(o))) if ('value' in d) deepFreeze(d.value);
  }
  return o;
}
