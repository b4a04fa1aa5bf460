import { describe, expect, it } from 'vitest';
import { openRepoPolicyFromEnv } from './open-repo-policy.js';
import { chooseRepo, mayUseTree, withTreeDefaults } from './tree-choice.js';
import { checkTreeRegistration } from './tree-registration.js';
import type { Tree } from './tree-schema.js';
import { DEFAULT_TOKEN_LIMITS } from './token-limits.js';

const trees: Tree[] = [
  { name: 'linux', repo: 'https://git.example.org/linux.git' },
  { name: 'mm', repo: '/srv/mm', roles: ['maintain'], tokens: ['ci'] },
];
const policy = { schemes: ['https' as const], hosts: ['git.example.org'] };

describe('chooseRepo', () => {
  it.each([
    ['a tree by name', 'linux', undefined, { kind: 'tree', tree: trees[0] }],
    ["a tree by its exact repo", '/srv/mm', undefined, { kind: 'tree', tree: trees[1] }],
    ['an allowed open URL', 'https://git.example.org/next.git', policy, { kind: 'open', repo: 'https://git.example.org/next.git' }],
  ])('takes %s', (_what, repo, p, expected) => {
    expect(chooseRepo(repo, trees, p)).toEqual(expected);
  });

  it.each([
    ['an unregistered path', '/etc', undefined, "repo: '/etc' is not a registered tree (kbisect trees list); this deployment builds registered trees only"],
    ['an unregistered URL without the opt-in', 'https://git.example.org/next.git', undefined, /registered trees only/],
    ['a path even with the opt-in', '/srv/other', policy, /local paths and file:\/\/ URLs are only accepted as registered trees/],
    ['file:// even with the opt-in', 'file:///srv/other', policy, /local paths and file:\/\//],
    ['a scheme not opened', 'ssh://git@git.example.org/x.git', policy, /only use https here \(not ssh\)/],
    ['scp-like ssh not opened', 'git@git.example.org:x.git', policy, /not ssh/],
    ['a host not allowed', 'https://git.example.org.evil.net/x.git', policy, /host 'git.example.org.evil.net' is not on/],
    ['credentials, named without echoing them', 'https://u:pw-123@git.example.org/linux.git', policy, /^repo: credentials in a URL are refused/],
  ])('refuses %s', (_what, repo, p, reason) => {
    let message = '';
    try {
      chooseRepo(repo, trees, p);
    } catch (err) {
      message = (err as Error).message;
    }
    if (typeof reason === 'string') expect(message).toBe(reason);
    else expect(message).toMatch(reason);
    expect(message).not.toContain('pw-123');
  });
});

describe('mayUseTree', () => {
  it.each([
    ['an open tree, any submitter', trees[0]!, { name: 'bob', role: 'submit' as const }, true],
    ['a named token', trees[1]!, { name: 'ci', role: 'submit' as const }, true],
    ['a role at least the one listed', trees[1]!, { name: 'carol', role: 'maintain' as const }, true],
    ['a lower role, not named', trees[1]!, { name: 'bob', role: 'submit' as const }, false],
    ['an admin, always', trees[1]!, { name: 'root', role: 'admin' as const }, true],
  ])('%s', (_what, tree, principal, allowed) => {
    expect(mayUseTree(tree, { ...principal, commandProbe: false, network: false, limits: DEFAULT_TOKEN_LIMITS })).toBe(allowed);
  });
});

describe('withTreeDefaults', () => {
  const defaults = { configFragments: ['qemu-x86_64'], requireConfig: ['CONFIG_X'], pool: 'virtual' };
  it('fills what a kernel probe leaves out, keeps what it says, and leaves command probes alone', () => {
    expect(withTreeDefaults({ probe: { type: 'kernel' } }, defaults)).toEqual({ probe: { type: 'kernel', ...defaults } });
    expect(withTreeDefaults({ probe: { type: 'kernel', configFragments: [], pool: 'lab' } }, defaults)).toEqual({ probe: { type: 'kernel', configFragments: [], pool: 'lab', requireConfig: ['CONFIG_X'] } });
    expect(withTreeDefaults({ probe: { type: 'kernel' }, options: { requireConfig: ['CONFIG_Y'] } }, defaults)).toEqual({ probe: { type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual' }, options: { requireConfig: ['CONFIG_Y'] } });
    expect(withTreeDefaults({ probe: { type: 'command', command: 'true' } }, defaults)).toEqual({ probe: { type: 'command', command: 'true' } });
  });
});

describe('checkTreeRegistration', () => {
  it('stores file:// as its path and refuses relative paths and credentials', () => {
    expect(checkTreeRegistration({ name: 'a', repo: 'file:///srv/a' }).repo).toBe('/srv/a');
    expect(() => checkTreeRegistration({ name: 'a', repo: 'srv/a' })).toThrow(/absolute/);
    expect(() => checkTreeRegistration({ name: 'a', repo: './a' })).toThrow(/absolute/);
    expect(() => checkTreeRegistration({ name: 'a', repo: 'https://t0ken@git.example.org/a.git' })).toThrow(/credentials/);
  });
});

describe('the open-URL opt-in from the environment', () => {
  it.each([
    ['off by default', {}, undefined],
    ['schemes and hosts', { KBISECT_OPEN_REPOS: 'https, ssh', KBISECT_REPO_HOSTS: 'Git.Example.org,10.0.0.2' }, { schemes: ['https', 'ssh'], hosts: ['git.example.org', '10.0.0.2'] }],
  ])('%s', (_what, env, expected) => {
    expect(openRepoPolicyFromEnv(env)).toEqual(expected);
  });
  it.each([
    ['file', { KBISECT_OPEN_REPOS: 'file', KBISECT_REPO_HOSTS: 'x' }, /KBISECT_OPEN_REPOS: 'file' is not one of https, git, ssh/],
    ['no hosts', { KBISECT_OPEN_REPOS: 'https' }, /KBISECT_OPEN_REPOS needs KBISECT_REPO_HOSTS/],
    ['hosts alone', { KBISECT_REPO_HOSTS: 'x' }, /KBISECT_REPO_HOSTS is set but KBISECT_OPEN_REPOS is not/],
    ['a host with a path', { KBISECT_OPEN_REPOS: 'https', KBISECT_REPO_HOSTS: 'x/y' }, /KBISECT_REPO_HOSTS: 'x\/y' is not a host/],
  ])('refuses %s at startup, naming the variable', (_what, env, reason) => {
    expect(() => openRepoPolicyFromEnv(env)).toThrow(reason);
  });
});
