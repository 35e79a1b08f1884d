import { z } from 'zod';

/** How a database connection uses TLS. */
export const TLS_MODES = ['verify-full', 'verify-ca', 'require', 'disable'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export const tlsSchema = z.strictObject({
  mode: z
    .enum(TLS_MODES)
    .optional()
    .describe(
      'verify-full (default): TLS, the certificate must chain to a trusted CA and name the host; verify-ca: chain only; require: encrypted but unverified (a man in the middle can read it); disable: no TLS. A loopback host (127.0.0.1, ::1, localhost) defaults to disable, since its traffic never leaves the machine',
    ),
  ca_file: z.string().min(1).optional().describe('PEM file of the CA(s) to trust instead of the system ones, e.g. the cloud provider\'s RDS bundle'),
  server_name: z.string().min(1).optional().describe('Name the certificate must carry when it differs from host (connecting by IP or through a tunnel)'),
});

export type TlsConfig = z.infer<typeof tlsSchema>;
