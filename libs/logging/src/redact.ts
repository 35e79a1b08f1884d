const SECRET_KEY = /(pass(word)?|secret|token|api[_-]?key|credential|private[_-]?key|hmac[_-]?key|access[_-]?key|authorization)/i;

/** Values registered here are replaced by "***" wherever they appear in a log line. */
const knownSecrets = new Set<string>();

/**
 * Registers a secret value (from env or a mounted file) so no logger ever prints it,
 * even inside a longer string such as an error message or a URL.
 */
export function registerSecret(value: string | undefined): void {
  // Very short values would blank out ordinary words; real secrets are longer.
  if (value && value.length >= 4) knownSecrets.add(value);
}

/**
 * The password of a URL's user info runs to the last "@" of the URL (a password may hold "/" or "@"
 * when it was not percent-encoded): a greedy match, so an "@" later in the URL hides more, never less.
 */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@"'<>]+:)([^\s"'<>]*)(@)/gi;

/**
 * Removes passwords from connection strings: "postgres://u:pw@h/db" -> "postgres://u:***@h/db",
 * also when the password holds "/" or "@" ("postgres://u:p/w@rd@h/db" -> "postgres://u:***@h/db").
 */
export function redactText(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1***$3');
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/**
 * Deep copy of a document about to be stored (a run report, a lineage event, a manifest) with
 * secret text removed from every string and string values of secret-looking keys masked. Unlike
 * redactValue, numbers stay (a manifest's `tokens: 250` is a count, not a token).
 */
export function redactDocument(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) && value !== '' && !/_(id|ids|count|column|columns)$/i.test(key) ? '***' : redactText(value);
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDocument(v, '', depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDocument(v, k, depth + 1);
  return out;
}

/** Deep copy of a log field value with secret-looking keys masked and secret text removed. */
export function redactValue(value: unknown, key = '', depth = 0): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== null && value !== '') return '***';
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return redactText(value.message);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, '', depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, k, depth + 1);
  return out;
}
