import { z } from 'zod';
import { num } from './primitives';
import { tlsSchema } from './tls';

export const warehouseSchema = z.strictObject({
  client: z.enum(['sqlite', 'postgres', 'mysql']).describe('Warehouse engine'),
  sqlite: z.strictObject({ filename: z.string().min(1).describe('SQLite database file') }).optional().describe('For client sqlite'),
  connection: z
    .strictObject({
      host: z.string().describe('Server host'),
      port: num().int().optional().describe('Server port'),
      user: z.string().describe('User name'),
      password: z.string().optional().describe('Password; give it as ${NAME}'),
      database: z.string().describe('Database name'),
      tls: tlsSchema.optional().describe('TLS to the warehouse; verified by default (see tls.mode)'),
    })
    .optional()
    .describe('For client postgres or mysql'),
  batch_size: num()
    .int()
    .min(1)
    .default(500)
    .describe('Rows per multi-row INSERT (SQLite, MySQL dimensions); capped by the driver parameter limit. PostgreSQL loads through COPY and ignores it'),
  mysql_bulk: z
    .enum(['load_data', 'insert'])
    .default('load_data')
    .describe('How MySQL gets the fact rows: load_data (LOAD DATA LOCAL INFILE, streamed; falls back to INSERTs when the server has local_infile=OFF) or insert (multi-row INSERTs)'),
});
