/** Fields added to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger the generator is given. It is the subset of @salesflow/logging's Logger
 * that this task uses, so either that logger or createStderrLogger fits.
 */
export interface SampleDataLogger {
  info(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A JSON-lines logger: one object per line with ts, level, msg, the bindings and the fields. */
export function createJsonLinesLogger(
  bindings: LogFields,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): SampleDataLogger {
  const emit = (level: string, msg: string, fields?: LogFields): void =>
    write(JSON.stringify({ ts: now().toISOString(), level, msg, ...bindings, ...fields }));
  return Object.freeze({
    info: (msg: string, fields?: LogFields) => emit('info', msg, fields),
    error: (msg: string, fields?: LogFields) => emit('error', msg, fields),
  });
}
