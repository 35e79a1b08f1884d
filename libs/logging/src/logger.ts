import { redactText, redactValue } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

/** A logger bound to some fields ({step, run, ds}); passed into everything, never a global. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Fields on every line, e.g. { step: 'ingest', run: 'manual__...', ds: '2026-11-26' }. */
  readonly bindings?: LogFields;
  /** Lowest level written; default info. */
  readonly level?: LogLevel;
  /** Where lines go; default process.stderr. */
  readonly write?: (line: string) => void;
  /** "json" (one JSON object per line) or "pretty" (for a terminal); default: pretty when stderr is a TTY. */
  readonly format?: 'json' | 'pretty';
  /** Clock for timestamps, injectable for tests. */
  readonly now?: () => Date;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const COLOR: Record<LogLevel, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

/** Creates a JSON-lines logger on stderr (readable form on a terminal). Secrets are redacted from every line. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? ((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const format = opts.format ?? (process.env.LOG_FORMAT === 'pretty' || process.env.LOG_FORMAT === 'json' ? process.env.LOG_FORMAT : process.stderr.isTTY ? 'pretty' : 'json');
  const now = opts.now ?? (() => new Date());
  const make = (bindings: LogFields): Logger => {
    const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
      if (ORDER[lvl] < (ORDER[level] ?? ORDER.info)) return;
      const body = redactValue({ ...bindings, ...(fields ?? {}) }) as Record<string, unknown>;
      const ts = now().toISOString();
      if (format === 'json') {
        write(JSON.stringify({ ts, level: lvl, msg: redactText(msg), ...body }));
      } else {
        const extra = Object.entries(body)
          .filter(([k]) => !(k in bindings))
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        write(`${ts.slice(11, 19)} ${COLOR[lvl]}${lvl.padEnd(5)}\x1b[0m ${redactText(msg)}${extra ? ' \x1b[90m' + extra + '\x1b[0m' : ''}`);
      }
    };
    return Object.freeze({
      debug: (m: string, f?: LogFields) => emit('debug', m, f),
      info: (m: string, f?: LogFields) => emit('info', m, f),
      warn: (m: string, f?: LogFields) => emit('warn', m, f),
      error: (m: string, f?: LogFields) => emit('error', m, f),
      child: (f: LogFields) => make({ ...bindings, ...f }),
    });
  };
  return make(opts.bindings ?? {});
}

/** A logger that drops everything; for tests of code that requires one. */
export const silentLogger: Logger = createLogger({ write: () => undefined, level: 'error', format: 'json' });
