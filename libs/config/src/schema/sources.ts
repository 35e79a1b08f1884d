import { z } from 'zod';
import { tlsSchema } from './tls';
import { bool, identifier, num } from './primitives';

const csvOptionsSchema = z.strictObject({
  delimiter: z.string().min(1).default(',').describe('Field delimiter'),
  quote: z.string().length(1).default('"').describe('Quote character'),
  header: bool().default(true).describe('First line holds the column names'),
  encoding: z.enum(['utf8', 'utf-8', 'latin1', 'utf16le']).default('utf8').describe('Text encoding of the file'),
  comment: z
    .string()
    .length(1)
    .refine((c) => c !== '\n' && c !== '\r', 'a line end cannot start a comment')
    .optional()
    .describe('A line that starts with this character (e.g. "#") is a comment: skipped and counted in the run report, not read as a record; off when absent'),
}).refine((o) => o.comment === undefined || (o.comment !== o.delimiter && o.comment !== o.quote), {
  path: ['comment'],
  message: 'must differ from the delimiter and the quote',
});

export const fileEntitySchema = z.strictObject({
  name: identifier().describe('Entity name; the raw partition is raw/files/<source>/<entity>/dt=<ds>/'),
  pattern: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p) && !p.split(/[\\/]/).includes('..'), {
      // A pattern that climbs out of the source path could read any file the step can (../../etc/passwd).
      message: 'must stay below the source path: no absolute path and no ".." segment; point the source path at the folder instead',
    })
    .describe('Glob of the files below the source path, e.g. "sales_*.csv" or "sales_{ds_nodash}*.csv"'),
  format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional().describe('File format; guessed from the extension when absent'),
  csv: csvOptionsSchema.default({ delimiter: ',', quote: '"', header: true, encoding: 'utf8' }).describe('CSV parsing options'),
  required: bool().default(true).describe('Fail (exit 4) when no file matches; otherwise the entity is skipped'),
  new_files_only: bool()
    .default(true)
    .describe('Read only files not ingested before (by URI and modification time, kept per day in _state/<source>/<entity>/dt=<ds>.json); --full-refresh reads them all again; false reads every matching file on every run'),
});

export const filesSourceSchema = z.strictObject({
  name: identifier().describe('Source name, used in lake paths and as --source'),
  kind: z.literal('files').describe('Source kind'),
  path: z.string().min(1).describe('Landing folder or s3://bucket/prefix the patterns are matched under; {ds}, {ds_nodash}, {yyyy}, {mm}, {dd} are filled with the run\'s date'),
  entities: z.array(fileEntitySchema).min(1).describe('What to ingest from this source'),
});

/** Incremental reading of a table, query or endpoint by a cursor column that only grows when a row changes. */
const lookbackDescription =
  'Overlap re-read below the watermark, so rows committed late with an older cursor value are not lost: seconds for timestamp and date cursors, units for integer cursors';

export const databaseEntitySchema = z.strictObject({
  name: identifier().describe('Entity name; the raw partition is raw/database/<source>/<entity>/dt=<ds>/'),
  table: identifier().optional().describe('Table to read (a plain identifier, quoted when queried); give table or query'),
  schema: identifier().optional().describe('Schema (PostgreSQL) or database (MySQL) of the table; default the connection\'s'),
  columns: z.array(identifier()).optional().describe('Columns to read from the table; default all'),
  where: z
    .string()
    .min(1)
    .optional()
    .describe('SQL condition on the table\'s rows, e.g. "order_date >= {data_interval_start} AND order_date < {data_interval_end}"; {ds}, {data_interval_start} and {data_interval_end} are sent as bound parameters'),
  query: z
    .string()
    .min(1)
    .optional()
    .describe('A named SELECT to read instead of a table; its result columns are the entity\'s columns. {ds} (a date), {data_interval_start} and {data_interval_end} (UTC timestamps) are sent as bound parameters, never pasted into the SQL'),
  cursor_column: identifier()
    .optional()
    .describe('Column that grows on every insert and update (e.g. updated_at or an increasing id); set it to load incrementally. A timestamp or date cursor is read up to the run\'s data interval end (exclusive), never past it'),
  primary_key: z.array(identifier()).optional().describe('Columns identifying a row; required with cursor_column, to drop rows already loaded at the watermark boundary'),
  lookback: num().min(0).default(0).describe(lookbackDescription),
});

export const databaseSourceSchema = z.strictObject({
  name: identifier().describe('Source name, used in lake paths and as --source'),
  kind: z.literal('database').describe('Source kind'),
  client: z.enum(['postgres', 'mysql']).describe('Database engine (MySQL covers MariaDB)'),
  connection: z
    .strictObject({
      host: z.string().min(1).describe('Server host'),
      port: num().int().optional().describe('Server port; default 5432 (postgres) or 3306 (mysql)'),
      user: z.string().min(1).describe('User name'),
      password: z.string().optional().describe('Password; give it as ${NAME}'),
      database: z.string().min(1).describe('Database name'),
      ssl: bool().optional().describe('Deprecated: true is tls.mode verify-full, false is tls.mode disable'),
      tls: tlsSchema.optional().describe('TLS to the server; verified by default (see tls.mode)'),
    })
    .describe('Where the database is'),
  fetch_size: num().int().min(1).default(10_000).describe('Rows read from a MySQL result set per chunk; PostgreSQL streams a binary COPY instead, paused while the lake catches up'),
  entities: z.array(databaseEntitySchema).min(1).describe('Tables or named queries to ingest'),
});

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none').describe('No authentication') }),
  z.strictObject({ type: z.literal('bearer').describe('Authorization: Bearer <token>'), token: z.string().min(1).describe('The token; give it as ${NAME}') }),
  z.strictObject({
    type: z.literal('api_key').describe('An API key in a header or a query parameter'),
    name: z.string().min(1).describe('Header or query parameter name, e.g. X-API-Key'),
    in: z.enum(['header', 'query']).default('header').describe('Where the key goes'),
    value: z.string().min(1).describe('The key; give it as ${NAME}'),
  }),
  z.strictObject({
    type: z.literal('basic').describe('HTTP basic authentication'),
    username: z.string().min(1).describe('User name'),
    password: z.string().describe('Password; give it as ${NAME}'),
  }),
  z.strictObject({
    type: z.literal('oauth2_client_credentials').describe('OAuth2 client credentials: a token is fetched from token_url and fetched again when it expires or is refused'),
    token_url: z.string().url().describe('Token endpoint'),
    client_id: z.string().min(1).describe('Client id'),
    client_secret: z.string().min(1).describe('Client secret; give it as ${NAME}'),
    scope: z.string().optional().describe('Requested scope'),
  }),
]);

const paginationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none').describe('One request') }),
  z.strictObject({
    type: z.literal('page').describe('Page numbers: stops at a page with fewer records than page_size'),
    param: z.string().default('page').describe('Query parameter of the page number'),
    size_param: z.string().default('page_size').describe('Query parameter of the page size'),
    page_size: num().int().min(1).default(100).describe('Records asked per page'),
    first_page: num().int().min(0).default(1).describe('Number of the first page'),
  }),
  z.strictObject({
    type: z.literal('offset').describe('Offset and limit: stops at a page with fewer records than limit'),
    offset_param: z.string().default('offset').describe('Query parameter of the offset'),
    limit_param: z.string().default('limit').describe('Query parameter of the limit'),
    limit: num().int().min(1).default(100).describe('Records asked per page'),
  }),
  z.strictObject({
    type: z.literal('cursor').describe('A cursor from the response body passed back as a query parameter; stops when it is absent'),
    param: z.string().default('cursor').describe('Query parameter the cursor is sent in'),
    cursor_path: z.string().min(1).describe('Dotted path of the next cursor in the response body, e.g. meta.next_cursor'),
  }),
  z.strictObject({
    type: z.literal('next_link').describe('A next-page URL from the body, or from the Link header (rel="next") when next_path is absent'),
    next_path: z.string().optional().describe('Dotted path of the next URL in the body, e.g. links.next'),
  }),
]);

export const apiEntitySchema = z.strictObject({
  name: identifier().describe('Entity name; the raw partition is raw/api/<source>/<entity>/dt=<ds>/'),
  path: z.string().min(1).describe('Endpoint path below base_url, e.g. /v1/stock'),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe('Fixed query parameters'),
  records_path: z.string().default('').describe('Dotted path of the records array in the response body, e.g. data.items; empty when the body is the array'),
  pagination: paginationSchema.default({ type: 'none' }).describe('How to get the next page'),
  flatten_depth: num().int().min(0).default(1).describe('Nested objects become parent_child columns down to this depth; deeper values and arrays stay JSON text'),
  incremental: z
    .strictObject({
      param: z.string().min(1).describe('Query parameter filled with the watermark minus lookback, e.g. updated_since'),
      cursor_field: z.string().min(1).describe('Record field (after flattening) holding the change time, ISO-8601'),
      primary_key: z.array(z.string().min(1)).min(1).describe('Record fields identifying a record, to drop records already loaded at the boundary'),
      lookback: num().min(0).default(0).describe('Seconds re-read below the watermark'),
    })
    .optional()
    .describe('Load only records changed since the last run'),
});

export const apiSourceSchema = z.strictObject({
  name: identifier().describe('Source name, used in lake paths and as --source'),
  kind: z.literal('api').describe('Source kind'),
  base_url: z.string().url().describe('Base URL of the API, e.g. https://inventory.example.com'),
  auth: authSchema.default({ type: 'none' }).describe('How requests authenticate'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers'),
  timeout_ms: num().int().min(1).default(30_000).describe('Timeout of one request, in milliseconds'),
  retries: num().int().min(0).default(5).describe('Retries of a request on 429, 5xx, timeouts and network errors (exponential backoff with jitter, honouring Retry-After)'),
  backoff_ms: num().int().min(0).default(500).describe('First retry delay in milliseconds; doubled on each retry'),
  max_retry_after_s: num().min(0).default(300).describe('Longest Retry-After honoured; a longer one fails the run'),
  requests_per_second: num().min(0).default(0).describe('Request rate limit for this source; 0 means no limit'),
  entities: z.array(apiEntitySchema).min(1).describe('Endpoints to ingest'),
});

export const kafkaEntitySchema = z.strictObject({
  name: identifier().describe('Entity name; the raw partition is raw/kafka/<source>/<entity>/dt=<ds>/'),
  topics: z.array(z.string().min(1)).min(1).describe('Topics whose records make up this entity'),
  value_format: z.enum(['json', 'avro']).default('json').describe('How a record value is encoded: json (one JSON object per record) or avro (Avro binary of the record schema in avro.schema_file)'),
  avro: z
    .strictObject({
      schema_file: z.string().min(1).describe('Path of the .avsc file (a record schema) producers write with: absolute, or relative to the working directory as tls.ca_file is; in a container, a mounted file'),
      framing: z.enum(['confluent', 'raw']).default('confluent').describe("confluent: each value starts with Confluent's magic byte 0 and a 4-byte schema id (Schema Registry serializers); raw: the Avro body alone"),
    })
    .optional()
    .describe('Avro settings; required when value_format is avro'),
  event_time_field: z.string().min(1).describe('Top-level field of the value holding the event time (ISO-8601 text or epoch milliseconds); a record without a valid one is quarantined'),
  max_message_bytes: num().int().min(1).default(1_048_576).describe('A record whose value is larger than this many bytes is quarantined, not landed'),
  late_events: z
    .enum(['event_day', 'arrival_day'])
    .default('event_day')
    .describe('Where a late event (its event time in a ds before the one it arrived in) lands: event_day appends it to that earlier ds, which then needs re-processing (npm run status lists it); arrival_day keeps it in the ds it arrived in, so the next nightly run carries it to the warehouse'),
}).refine((e) => e.value_format !== 'avro' || e.avro !== undefined, {
  path: ['avro'],
  message: 'value_format avro needs avro.schema_file, the record schema the producers write with',
});

export const kafkaSourceSchema = z.strictObject({
  name: identifier().describe('Source name, used in lake paths and as --source'),
  kind: z.literal('kafka').describe('Source kind'),
  brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1).describe('Bootstrap brokers as host:port, e.g. ["kafka-1:9092"]'),
  group: z.string().min(1).describe('Consumer group: offsets are committed to it after each partition manifest, so lag tools see progress'),
  client_id: z.string().min(1).default('salesflow-ingest').describe('Client id the broker sees in its logs and quotas'),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism'),
      username: z.string().min(1).describe('SASL user name'),
      password: z.string().min(1).describe('SASL password; give it as ${NAME} (or NAME_FILE for a mounted secret)'),
    })
    .optional()
    .describe('SASL authentication; absent means none'),
  tls: tlsSchema.optional().describe('TLS to the brokers; verified by default except on a loopback host (see tls.mode)'),
  timeout_ms: num().int().min(1).default(30_000).describe('Connection and request timeout, in milliseconds'),
  session_timeout_ms: num()
    .int()
    .min(6_000)
    .default(10_000)
    .describe('Consumer group session timeout: a member silent this long (a killed run) loses its partitions; tansu also takes half of it to complete a join'),
  follow: z
    .strictObject({
      max_interval_ms: num().int().min(100).default(5_000).describe('ingest --follow commits a micro-batch at the latest this many milliseconds after its first record was taken'),
      max_records: num().int().min(1).default(50_000).describe('ingest --follow commits a micro-batch as soon as it holds this many records'),
      enabled: bool()
        .default(false)
        .describe('A follower (ingest --follow) lands this source: the daily ingest --ds D does not consume, it checks that the follower has closed D (exit 0 with its rows) or exits 1 (retried) naming the partitions that lag'),
      close_grace_ms: num()
        .int()
        .min(0)
        .default(300_000)
        .describe('With enabled: a partition the follower has read to its end, with no record stamped at or after the interval end yet, counts as closed once the end is this many milliseconds past (records a producer stamped before the end may still be in flight)'),
    })
    .default({ max_interval_ms: 5_000, max_records: 50_000, enabled: false, close_grace_ms: 300_000 })
    .describe('Streaming mode (ingest --follow): when a micro-batch is committed into the lake'),
  entities: z.array(kafkaEntitySchema).min(1).describe('Topics to ingest, grouped into entities'),
});

export const sourceSchema = z.discriminatedUnion('kind', [filesSourceSchema, databaseSourceSchema, apiSourceSchema, kafkaSourceSchema]);
