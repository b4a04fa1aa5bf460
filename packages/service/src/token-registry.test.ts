import { describe, expect, it } from 'vitest';
import { TokenConfigError, TokenRegistry, hashToken } from './token-registry.js';

describe('KBISECT_TOKENS', () => {
  it('reads comma-separated role:name:sha256[:command] items, spaces and empty items ignored', () => {
    const registry = TokenRegistry.fromEnv(` admin:ops:${hashToken('t1')} , ,submit:ci:${hashToken('t2')}:command,`);
    expect(registry.lookup('t1')).toMatchObject({ name: 'ops', role: 'admin', commandProbe: false });
    expect(registry.lookup('t2')).toMatchObject({ name: 'ci', role: 'submit', commandProbe: true });
    expect(registry.lookup('t3')).toBeUndefined();
  });

  it('refuses an item that is not role:name:sha256, naming the variable', () => {
    expect(() => TokenRegistry.fromEnv(`admin:ops:${hashToken('t1')},root:x:${hashToken('t2')}`)).toThrow(TokenConfigError);
    expect(() => TokenRegistry.fromEnv('submit:ci:not-a-hash')).toThrow("KBISECT_TOKENS: 'submit:ci:not-a-hash' is not role:name:sha256[:command]");
  });
});
