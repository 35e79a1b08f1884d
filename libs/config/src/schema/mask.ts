import { z } from 'zod';
import { identifier } from './primitives';

export const maskRuleSchema = z.strictObject({
  method: z.enum(['hmac', 'pattern', 'email', 'tokenize', 'redact']).describe('hmac: keyed HMAC-SHA256; pattern: keep last digits; email: keep the domain; tokenize: deterministic token; redact: null'),
  pattern: z.string().optional().describe('For method pattern: X marks a hidden digit, # a kept one, e.g. XXX-XXX-####'),
});

export const maskSchema = z.strictObject({
  hmac_key: z.string().min(16, 'must be at least 16 characters').describe('Secret key for HMAC and tokens; give it as ${MASK_HMAC_KEY}'),
  key_id: z.string().default('v1').describe('Version of hmac_key, recorded in the output so keys can rotate'),
  entities: z.record(identifier(), z.record(identifier(), maskRuleSchema)).describe('Per entity, per column: the masking rule'),
});
