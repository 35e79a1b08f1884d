import { ingestMaskRules, resolveMaskRules } from './resolve-mask-rules';

describe('resolveMaskRules', () => {
  it('matches exact names first, then the first glob in order, never lineage columns', () => {
    const rules = { '*email*': { method: 'email' as const }, 'work_email': { method: 'redact' as const }, '*_phone': { method: 'pattern' as const, pattern: 'XXX-XXX-####' }, '*': { method: 'hmac' as const } };
    const got = resolveMaskRules(rules, ['email', 'work_email', 'home_phone', 'city', '_row_hash']);
    expect(got).toEqual({ email: rules['*email*'], work_email: rules.work_email, home_phone: rules['*_phone'], city: rules['*'] });
  });
  it('picks the at-ingest rules by raw column name, compared after a name mapping', () => {
    const rules = { email: { method: 'email' as const, at_ingest: true }, phone: { method: 'pattern' as const, pattern: 'XXX-XXX-####' } };
    const snake = (n: string) => n.toLowerCase().replace(/\s+/g, '_');
    expect(ingestMaskRules(rules, ['Email', 'Phone', 'City'], snake)).toEqual({ Email: rules.email });
  });
});
