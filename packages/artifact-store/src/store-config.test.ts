import { describe, expect, it } from 'vitest';
import { storeConfigFromEnv } from './store-config.js';
import { StoreCredentials } from './store-credentials.js';

const base = { KBISECT_STORE_CREDENTIALS_FILE: '/etc/kbisect/store-credentials.json' };

describe('storeConfigFromEnv', () => {
  it('fills the defaults', () => {
    expect(storeConfigFromEnv(base, { dir: '/var/lib/kbisect-store' })).toEqual({
      dir: '/var/lib/kbisect-store', limitBytes: 50 * 1024 ** 3, host: '127.0.0.1', port: 8081,
      credentialsFile: '/etc/kbisect/store-credentials.json', pinTtlHours: 72,
    });
  });

  it.each([
    ['no credentials file', {}, /KBISECT_STORE_CREDENTIALS_FILE: required/],
    ['a relative dir', { ...base, KBISECT_STORE_DIR: 'store' }, /KBISECT_STORE_DIR: 'store' is not an absolute path/],
    ['a dir with ..', { ...base, KBISECT_STORE_DIR: '/srv/../etc' }, /KBISECT_STORE_DIR/],
    ['a size that is not a number', { ...base, KBISECT_STORE_LIMIT_GB: 'lots' }, /KBISECT_STORE_LIMIT_GB: 'lots' is not a positive number/],
    ['a zero size', { ...base, KBISECT_STORE_LIMIT_GB: '0' }, /KBISECT_STORE_LIMIT_GB/],
    ['a port out of range', { ...base, KBISECT_STORE_PORT: '70000' }, /KBISECT_STORE_PORT: '70000' is not a port number/],
    ['an upstream without a credential', { ...base, KBISECT_STORE_UPSTREAM_URL: 'https://store.example.org' }, /KBISECT_STORE_UPSTREAM_TOKEN_FILE: required/],
    ['an upstream that is not a URL', { ...base, KBISECT_STORE_UPSTREAM_URL: 'store', KBISECT_STORE_UPSTREAM_TOKEN_FILE: '/t' }, /KBISECT_STORE_UPSTREAM_URL: 'store' is not a URL/],
  ])('refuses %s, naming the setting', (_name, env, message) => {
    expect(() => storeConfigFromEnv(env, { dir: '/var/lib/kbisect-store' })).toThrow(message);
  });

  it('takes an upstream with its credential (pull-through mode)', () => {
    expect(storeConfigFromEnv({ ...base, KBISECT_STORE_UPSTREAM_URL: 'https://store.example.org', KBISECT_STORE_UPSTREAM_TOKEN_FILE: '/etc/kbisect/lab-token' }, { dir: '/s' }).upstream)
      .toEqual({ url: 'https://store.example.org', tokenFile: '/etc/kbisect/lab-token' });
  });
});

describe('the store credentials file', () => {
  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['an API role', JSON.stringify({ tokens: [{ name: 'a', role: 'admin', sha256: 'a'.repeat(64) }] }), /\/tokens\/0\/role/],
    ['a token in clear', JSON.stringify({ tokens: [{ name: 'a', role: 'build', token: 'secret', sha256: 'a'.repeat(64) }] }), /\/tokens\/0/],
    ['no tokens', JSON.stringify({ tokens: [] }), /\/tokens/],
  ])('refuses %s, naming where', (_name, text, message) => {
    expect(() => StoreCredentials.parse(text, 'store-credentials.json')).toThrow(message);
  });
});
