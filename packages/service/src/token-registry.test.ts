import { describe, expect, it } from 'vitest';
import { TokenConfigError, TokenRegistry, hashToken, mayUseProbeNetwork } from './token-registry.js';

describe('KBISECT_TOKENS', () => {
  it('reads comma-separated role:name:sha256[:command] items, spaces and empty items ignored', () => {
    const registry = TokenRegistry.fromEnv(` admin:ops:${hashToken('t1')} , ,submit:ci:${hashToken('t2')}:command,`);
    expect(registry.lookup('t1')).toMatchObject({ name: 'ops', role: 'admin', commandProbe: false });
    expect(registry.lookup('t2')).toMatchObject({ name: 'ci', role: 'submit', commandProbe: true });
    expect(registry.lookup('t3')).toBeUndefined();
  });

  it('refuses an item that is not role:name:sha256, naming the variable', () => {
    expect(() => TokenRegistry.fromEnv(`admin:ops:${hashToken('t1')},root:x:${hashToken('t2')}`)).toThrow(TokenConfigError);
    expect(() => TokenRegistry.fromEnv('submit:ci:not-a-hash')).toThrow("KBISECT_TOKENS: 'submit:ci:not-a-hash' is not role:name:sha256[:command][:network]");
  });

  it('reads the network flag, alone or after command, and refuses a flag it does not know', () => {
    const registry = TokenRegistry.fromEnv(`submit:ci:${hashToken('t1')}:command:network,submit:fetcher:${hashToken('t2')}:network,submit:plain:${hashToken('t3')}`);
    expect(registry.lookup('t1')).toMatchObject({ commandProbe: true, network: true });
    expect(registry.lookup('t2')).toMatchObject({ commandProbe: false, network: true });
    expect(registry.lookup('t3')).toMatchObject({ commandProbe: false, network: false });
    expect(() => TokenRegistry.fromEnv(`submit:ci:${hashToken('t1')}:comand`)).toThrow("KBISECT_TOKENS: token 'ci': unknown flag 'comand' (command, network)");
  });
});

describe('the token file', () => {
  it('takes an optional network permission; a file written before it still parses, as no network', () => {
    const old = TokenRegistry.parse(JSON.stringify({ tokens: [{ name: 'ci', role: 'submit', sha256: hashToken('t1'), commandProbe: true }] }), 'tokens.json');
    expect(old.lookup('t1')).toMatchObject({ commandProbe: true, network: false });
    const withNetwork = TokenRegistry.parse(JSON.stringify({ tokens: [{ name: 'ci', role: 'submit', sha256: hashToken('t1'), commandProbe: true, network: true }] }), 'tokens.json');
    expect(withNetwork.lookup('t1')).toMatchObject({ network: true });
    expect(() => TokenRegistry.parse(JSON.stringify({ tokens: [{ name: 'ci', role: 'submit', sha256: hashToken('t1'), network: 'yes' }] }), 'tokens.json')).toThrow(/tokens\.json: \/tokens\/0\/network/);
  });

  it('lets admins and tokens with the flag ask for the network, no one else', () => {
    expect(mayUseProbeNetwork({ role: 'admin', network: false })).toBe(true);
    expect(mayUseProbeNetwork({ role: 'submit', network: true })).toBe(true);
    expect(mayUseProbeNetwork({ role: 'maintain', network: false })).toBe(false);
  });
});
