import { describe, expect, it } from 'vitest';
import { ancestorsOf, bwrapCommand, type BwrapPlan } from './bwrap-command.js';
import { SandboxSpecError } from './sandbox-errors.js';
import { ALLOWED_NAMES, sandboxEnv } from './sandbox-env.js';
import { DEFAULT_LIMITS } from './sandbox-spec.js';

const plan: BwrapPlan = { system: [{ kind: 'ro', path: '/usr' }, { kind: 'symlink', path: '/bin', target: 'usr/bin' }], limits: DEFAULT_LIMITS, network: 'none', writable: ['/w/build'], readOnly: ['/w/src'], cwd: '/w/build', argv: ['make', 'all'] };
const pairs = (args: readonly string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

describe('bwrapCommand', () => {
  it('as root: bwrap without a user namespace, then setpriv to the sandbox uid with nothing to regain', () => {
    const { file, args } = bwrapCommand({ ...plan, identity: { uid: 995, gid: 994 } });
    expect(file).toBe('prlimit');
    expect(args).not.toContain('--unshare-user');
    const inner = args.slice(args.indexOf('/usr/bin/setpriv'));
    expect(args[args.indexOf('/usr/bin/setpriv') - 1]).toBe('--');
    expect(inner).toEqual(['/usr/bin/setpriv', '--reuid=995', '--regid=994', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', 'make', 'all']);
  });

  it('not root: an unprivileged user namespace with nested ones disabled', () => {
    const { args } = bwrapCommand(plan);
    expect(args).toEqual(expect.arrayContaining(['--unshare-user', '--disable-userns', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--die-with-parent', '--new-session']));
    expect(args.slice(args.lastIndexOf('--') + 1)).toEqual(['make', 'all']);
  });

  it('binds writable and read-only paths at the same place, the network only when asked', () => {
    const { args } = bwrapCommand(plan);
    expect(pairs(args, '--bind')).toEqual(['/w/build']);
    expect(pairs(args, '--ro-bind')).toEqual(['/usr', '/w/src']);
    expect(pairs(args, '--chdir')).toEqual(['/w/build']);
    expect(bwrapCommand({ ...plan, network: 'host' }).args).not.toContain('--unshare-net');
    expect(args).toEqual(expect.arrayContaining(['--nproc=4096:4096', `--fsize=${DEFAULT_LIMITS.fileSizeBytes}:${DEFAULT_LIMITS.fileSizeBytes}`]));
  });

  it.each(['relative/dir', '/w/../etc'])('refuses the path %s, naming the field', (p) => {
    expect(() => bwrapCommand({ ...plan, writable: [p] })).toThrow(SandboxSpecError);
    expect(() => bwrapCommand({ ...plan, writable: [p] })).toThrow(/sandbox writable: /);
  });

  it('makes every parent of a bind reachable', () => {
    expect(ancestorsOf(['/root/.cache/k/src', '/root/.cache/ccache'])).toEqual(['/root', '/root/.cache', '/root/.cache/k']);
  });
});

describe('sandboxEnv', () => {
  it('is the base allow-list, HOME and the allowed extras, nothing else', () => {
    expect(sandboxEnv({ KBUILD_BUILD_USER: 'kbisect', CCACHE_DIR: '/c', KBISECT_COMMIT: 'abc' }, '/tmp')).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TMPDIR: '/tmp', HOME: '/tmp', KBUILD_BUILD_USER: 'kbisect', CCACHE_DIR: '/c', KBISECT_COMMIT: 'abc' });
  });

  it.each(['REDIS_URL', 'KBISECT_TOKENS_FILE', 'LD_PRELOAD', 'CCACHE_PREFIX'])('refuses %s, naming it', (name) => {
    expect(ALLOWED_NAMES.test(name)).toBe(false);
    expect(() => sandboxEnv({ [name]: 'x' }, '/tmp')).toThrow(`sandbox env.${name}: not on the sandbox allow-list`);
  });
});
