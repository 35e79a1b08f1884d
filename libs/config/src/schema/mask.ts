import { z } from 'zod';
import { keyWeakness, TEXT_KEY_RULE, VAULT_KEY_RULE, vaultKeyBytes, type KeyStrengthRule } from './key-strength';
import { bool, identifier, num } from './primitives';

/** Every masking method a rule can name. */
export const MASK_METHODS = ['hmac', 'sha256', 'md5', 'pattern', 'keep_last', 'email', 'redact', 'generalize', 'tokenize'] as const;
export type MaskMethod = (typeof MASK_METHODS)[number];

/** What `generalize` coarsens a value to. */
export const GENERALIZE_TARGETS = ['year', 'month', 'zip3', 'bucket'] as const;

/** A column name, or a glob over column names (`*` any run of characters, `?` one), e.g. `*email*`. */
export const columnPattern = () =>
  z.string().regex(/^[A-Za-z0-9_*?]+$/, 'must be a column name or a glob of letters, digits, _, * and ?');

export const maskRuleSchema = z.strictObject({
  method: z
    .enum(MASK_METHODS)
    .describe(
      'hmac: keyed HMAC-SHA256 (hex); sha256/md5: unkeyed digest, only when explicitly wanted (guessable, warned about); pattern: e.g. XXX-XXX-####; keep_last: hide all but the last N characters; email: keep the domain; redact: null; generalize: date to year/month, zip to 3 digits, number to a bucket; tokenize: deterministic token, original kept encrypted in the vault',
    ),
  pattern: z.string().optional().describe('For method pattern: X marks a hidden digit, # a kept one, e.g. XXX-XXX-#### or XXX-XX-####'),
  keep: num().int().min(0).max(32).default(4).describe('For method keep_last: characters kept at the end'),
  to: z.enum(GENERALIZE_TARGETS).optional().describe('For method generalize: year or month (dates), zip3 (zip codes), bucket (numbers)'),
  bucket_size: num().positive().optional().describe('For generalize to bucket: width of a bucket, e.g. 10 for ages 30-40'),
  at_ingest: bool().default(false).describe('Mask already at ingest, so the value never lands in raw (the mask step then passes the column through)'),
  link_as: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . or -')
    .optional()
    .describe(
      'For hmac, email and tokenize: the domain mixed into the keyed hash (default "<entity>.<column>", so equal values in different columns give unrelated outputs). Give two columns the same link_as only to join or count them together; their equal values then show as equal, frequencies included',
    ),
});

/** A weak key (see key-strength.ts) is refused, naming why and how to make a strong one. */
function refuseWeakKey(rule: KeyStrengthRule, bytesOf: (text: string) => Uint8Array) {
  return (text: string, ctx: z.RefinementCtx) => {
    const weak = keyWeakness(bytesOf(text), rule);
    if (weak) ctx.addIssue({ code: 'custom', message: `is too weak to be a key: ${weak}; make a random one with openssl rand -hex 32` });
  };
}
const textKeyBytes = (text: string) => Buffer.from(text, 'utf8');

const keyIdSchema = () => z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . or -').describe('Key version');

export const vaultSchema = z.strictObject({
  key: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 bytes as 64 hex characters or 44 base64 characters (openssl rand -hex 32)')
    .superRefine(refuseWeakKey(VAULT_KEY_RULE, vaultKeyBytes))
    .describe(
      'AES-256-GCM key of the token vault; give it as ${VAULT_KEY} (or VAULT_KEY_FILE for a mounted file). A key of one repeated byte, a repeated block, or under 16 distinct bytes or 128 bits of estimated entropy is refused (exit 2)',
    ),
  key_id: keyIdSchema().default('v1').describe('Version of vault.key, stored with every vault entry'),
  previous_keys: z
    .record(keyIdSchema(), z.string())
    .default({})
    .describe('Older vault keys by key id (same format as key), so entries sealed before a rotation stay readable'),
  prefix: z
    .string()
    .regex(/^_[A-Za-z0-9_-]+$/, 'must be one path segment starting with _')
    .default('_vault')
    .describe('Lake prefix of the vault (_vault/<entity>/<column>/dt=<ds>/); restrict access to it'),
});

export const piiScanSchema = z.strictObject({
  enabled: bool().default(true).describe('Scan the masked zone at the end of the mask step; a finding fails the step (exit 3)'),
  sample_rows: num().int().min(1).default(100_000).describe('Rows sampled per entity, spread evenly over the partition'),
  detectors: z
    .array(z.enum(['email', 'phone', 'card', 'ssn', 'iban']))
    .default(['email', 'phone', 'card', 'ssn', 'iban'])
    .describe('Patterns looked for, after NFKC and separator normalization: email, phone (E.164 and the national formats of countries), card (13-19 digits passing Luhn), ssn (NNN-NN-NNNN, or nine digits as a whole value or after "SSN"), iban (mod 97)'),
  countries: z
    .array(z.enum(['US', 'CA', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'AU', 'MX', 'BR']))
    .default(['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'IN', 'AU'])
    .describe('Countries whose national phone formats the scan recognises (E.164 "+CC ..." always counts); name the countries your customers live in'),
  sensitive_columns: z
    .array(columnPattern())
    .default(['*email*', '*phone*', '*ssn*', 'first_name', 'last_name', '*card_number*', '*birth*'])
    .describe('Column names (or globs) that must be masked wherever they appear'),
  safe_columns: z
    .array(z.string().regex(/^[A-Za-z0-9_*?]+\.[A-Za-z0-9_*?]+$/, 'must be entity.column (globs allowed), e.g. locations.address'))
    .default([])
    .describe('entity.column pairs allowed to hold pattern-like values or a sensitive name in the clear (e.g. a store phone)'),
});

export const maskSchema = z.strictObject({
  hmac_key: z
    .string()
    .min(16, 'must be at least 16 characters')
    .superRefine(refuseWeakKey(TEXT_KEY_RULE, textKeyBytes))
    .describe(
      'Secret key for hmac and email (and the keyed _row_hash); give it as ${MASK_HMAC_KEY} (or MASK_HMAC_KEY_FILE). A key of one repeated character, a repeated block, a run of consecutive characters, or under 8 distinct bytes or 80 bits of estimated entropy is refused (exit 2): use 32 random characters or more',
    ),
  tokenize_key: z
    .string()
    .min(16, 'must be at least 16 characters')
    .superRefine(refuseWeakKey(TEXT_KEY_RULE, textKeyBytes))
    .optional()
    .describe(
      'Secret key tokens are derived from, held by mask alone (and ingest only for at_ingest tokenize rules); required when a rule tokenizes. Separate from hmac_key so a holder of that key cannot reverse tokens by guessing values; give it as ${MASK_TOKENIZE_KEY}',
    ),
  tokenize_key_id: keyIdSchema().default('t1').describe('Version of tokenize_key, recorded in the mask manifest'),
  key_id: keyIdSchema().default('v1').describe('Version of hmac_key, recorded in the output (_mask_key_id) so keys can rotate'),
  previous_keys: z
    .record(keyIdSchema(), z.string().min(16, 'must be at least 16 characters'))
    .default({})
    .describe('Older HMAC keys by key id, kept to re-compute or verify values masked before a rotation'),
  vault: vaultSchema.optional().describe('Token vault: where tokenize keeps the originals, encrypted; without it tokens cannot be reversed'),
  pii_scan: piiScanSchema
    .default({ enabled: true, sample_rows: 100_000, detectors: ['email', 'phone', 'card', 'ssn', 'iban'], countries: ['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'IN', 'AU'], sensitive_columns: ['*email*', '*phone*', '*ssn*', 'first_name', 'last_name', '*card_number*', '*birth*'], safe_columns: [] })
    .describe('The PII contract checked on the masked zone'),
  entities: z
    .record(identifier(), z.record(columnPattern(), maskRuleSchema))
    .describe('Per entity, per column name or glob (first matching glob wins, exact names first): the masking rule'),
});

/** Whether a rule key is a glob rather than an exact column name. */
export function isColumnGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** The RegExp of a column glob: `*` any run of characters, `?` one; the whole name must match. */
export function columnGlobRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}
