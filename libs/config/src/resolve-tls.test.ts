import { driverTlsOptions, tlsModeOf } from './index';

describe('tlsModeOf and driverTlsOptions', () => {
  it('verifies by default, except on a loopback host; tls.mode and the old ssl flag win', () => {
    expect(tlsModeOf('warehouse.internal', undefined)).toBe('verify-full');
    expect(tlsModeOf('10.0.3.7', {})).toBe('verify-full');
    for (const h of ['127.0.0.1', 'localhost', '::1']) expect(tlsModeOf(h, undefined)).toBe('disable');
    expect(tlsModeOf('127.0.0.1', { mode: 'verify-full' })).toBe('verify-full');
    expect(tlsModeOf('db', undefined, false)).toBe('disable');
    expect(tlsModeOf('db', { mode: 'require' }, false)).toBe('require');
  });
  it('builds the driver options: none, unverified, or verified with the host name', () => {
    expect(driverTlsOptions('127.0.0.1', undefined, 'w')).toBe(false);
    expect(driverTlsOptions('db', { mode: 'require' }, 'w')).toEqual({ rejectUnauthorized: false });
    const v = driverTlsOptions('db.internal', undefined, 'w') as Exclude<ReturnType<typeof driverTlsOptions>, false>;
    expect(v).toMatchObject({ rejectUnauthorized: true, servername: 'db.internal' });
    expect(typeof v.checkServerIdentity).toBe('function');
    expect(() => driverTlsOptions('db', { ca_file: '/nonexistent/ca.pem' }, 'warehouse.connection')).toThrow(/warehouse\.connection\.tls\.ca_file: cannot read/);
  });
});
