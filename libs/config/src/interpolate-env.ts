import { createHash } from 'node:crypto';

/** Looks up a variable: from env, or from the file named by NAME_FILE (mounted secrets). */
export type EnvLookup = (name: string) => string | undefined;

/** A secret reference left unresolved: filled only when a step reads the field (see readConfig). */
export interface DeferredRef {
  readonly path: string;
  readonly name: string;
  readonly fallback?: string;
  /** What the tree holds meanwhile: 64 hex characters unique to the path, valid for every secret field's schema. */
  readonly placeholder: string;
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}$/;

export interface InterpolationResult {
  readonly value: unknown;
  /** "dotted.path: message" for each reference that could not be filled. */
  readonly errors: readonly string[];
  /** Values filled in from the environment with the key they went into, so loggers can redact secrets. */
  readonly filled: readonly { readonly path: string; readonly value: string }[];
  /** References at paths `defer` picked, not looked up. */
  readonly deferred: readonly DeferredRef[];
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree, also inside
 * longer strings. Values stay strings (numeric fields coerce them during validation); a string that
 * is exactly one reference to an empty value removes the key, so the field's default applies.
 * Pure: the environment comes in as a lookup function. A string that is exactly one reference at
 * a path `defer` accepts is not looked up at all: it gets a placeholder and is listed in
 * `deferred`, so a step never reads a secret its work does not touch.
 */
export function interpolateEnv(tree: unknown, lookup: EnvLookup, defer: (path: string) => boolean = () => false): InterpolationResult {
  const errors: string[] = [];
  const filled: { path: string; value: string }[] = [];
  const deferred: DeferredRef[] = [];
  const visit = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') return fill(node, path);
    if (Array.isArray(node)) return node.map((v, i) => visit(v, join(path, String(i))));
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const r = visit(v, join(path, k));
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    return node;
  };
  const resolve = (name: string, fallback: string | undefined, path: string): string => {
    const v = lookup(name);
    if (v !== undefined && v !== '') {
      filled.push({ path, value: v });
      return v;
    }
    if (fallback !== undefined) return fallback;
    errors.push(`${path || '(root)'}: environment variable ${name} is not set; set ${name} (or ${name}_FILE to a file holding it), or write \${${name}:-default}`);
    return '';
  };
  const fill = (s: string, path: string): unknown => {
    const whole = WHOLE_REF.exec(s);
    if (whole && defer(path)) {
      const placeholder = createHash('sha256').update(`deferred secret ${path}`).digest('hex');
      deferred.push({ path, name: whole[1]!, ...(whole[2] ? { fallback: whole[3] ?? '' } : {}), placeholder });
      return placeholder;
    }
    if (whole) {
      const v = resolve(whole[1]!, whole[2] ? whole[3] ?? '' : undefined, path);
      return v === '' ? undefined : v;
    }
    return s.replace(REF, (_m, name: string, hasDefault: string | undefined, def: string | undefined) =>
      resolve(name, hasDefault ? def ?? '' : undefined, path),
    );
  };
  const value = visit(tree, '');
  return { value, errors, filled, deferred };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

