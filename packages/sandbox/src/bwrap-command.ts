import { isAbsolute } from 'node:path';
import { SandboxSpecError } from './sandbox-errors.js';
import type { SandboxLimits, SandboxNetwork } from './sandbox-spec.js';

/** How the system appears inside: the toolchain read-only, merged-/usr symlinks as on the host. */
export type SystemMount = { readonly kind: 'ro'; readonly path: string } | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

/** Who the command runs as outside the namespace; undefined: the worker's own (non-root) uid. */
export interface SandboxIdentity {
  readonly uid: number;
  readonly gid: number;
}

export interface BwrapPlan {
  readonly system: readonly SystemMount[];
  readonly identity?: SandboxIdentity;
  readonly limits: SandboxLimits;
  readonly network: SandboxNetwork;
  readonly writable: readonly string[];
  readonly readOnly: readonly string[];
  readonly cwd: string;
  readonly argv: readonly string[];
}

/**
 * Files under /etc a toolchain, perl or ccache reads; /etc as a whole stays
 * out (deployments keep secrets there). World-readable on Debian.
 */
export const ETC_FILES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime', '/etc/perl'];
/** Added for `network: 'host'`: name resolution and CA certificates. */
export const ETC_NETWORK_FILES = ['/etc/resolv.conf', '/etc/hosts', '/etc/ssl', '/etc/ca-certificates'];

/**
 * The argv that runs `plan.argv` confined. prlimit sets the limits. bwrap
 * builds the namespaces — PID (its PID 1 dies with the command, which kills
 * every process left, `setsid` or not), network (none), IPC, UTS, cgroup,
 * mount (only what is bound exists) — and the command runs as an
 * unprivileged uid:
 * - worker as root (`identity` given): bwrap runs as root, without a user
 *   namespace, so it can bind directories under paths the sandbox uid could
 *   not even traverse (/root/.cache/...); inside, setpriv drops to the
 *   sandbox uid with no capabilities, an empty bounding set and
 *   no_new_privs. The uid is a real unprivileged one on the host: it reads
 *   only world-readable files and what it owns, never root's 0600 files.
 * - worker not root: bwrap itself is unprivileged and makes a user
 *   namespace mapping the worker's own uid (and no more); nested user
 *   namespaces are disabled.
 */
export function bwrapCommand(plan: BwrapPlan): { file: string; args: string[] } {
  for (const [field, paths] of [['writable', plan.writable], ['readOnly', plan.readOnly], ['cwd', [plan.cwd]]] as const) {
    for (const p of paths) if (!isAbsolute(p) || p.split('/').includes('..')) throw new SandboxSpecError(field, `'${p}' is not an absolute path without '..'`);
  }
  const l = plan.limits;
  const prlimit = [`--nproc=${l.processes}:${l.processes}`, `--fsize=${l.fileSizeBytes}:${l.fileSizeBytes}`, `--cpu=${l.cpuSeconds}:${l.cpuSeconds}`, '--core=0:0', '--'];
  const setpriv = plan.identity ? ['/usr/bin/setpriv', `--reuid=${plan.identity.uid}`, `--regid=${plan.identity.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'] : [];
  const bwrap = [
    'bwrap',
    ...(plan.identity ? [] : ['--unshare-user', '--disable-userns']),
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(plan.network === 'none' ? ['--unshare-net'] : []),
    '--die-with-parent', '--new-session', '--hostname', 'kbisect-sandbox',
    ...plan.system.flatMap((m) => (m.kind === 'ro' ? ['--ro-bind', m.path, m.path] : ['--symlink', m.target, m.path])),
    '--perms', '0755', '--dir', '/etc',
    ...[...ETC_FILES, ...(plan.network === 'host' ? ETC_NETWORK_FILES : [])].flatMap((p) => ['--ro-bind-try', p, p]),
    '--proc', '/proc', '--dev', '/dev',
    // Sticky and world-writable as a real /tmp: gcc falls back to ./ (a read-only tree) when it cannot write TMPDIR.
    '--perms', '1777', '--size', String(l.tmpBytes), '--tmpfs', '/tmp',
    // bwrap would make missing parents 0700 and root's: the sandbox uid could not reach its own binds by absolute path.
    ...ancestorsOf([...plan.readOnly, ...plan.writable]).flatMap((d) => ['--perms', '0755', '--dir', d]),
    ...plan.readOnly.flatMap((p) => ['--ro-bind', p, p]),
    ...plan.writable.flatMap((p) => ['--bind', p, p]),
    '--chdir', plan.cwd,
    '--', ...setpriv, ...plan.argv,
  ];
  return { file: 'prlimit', args: [...prlimit, ...bwrap] };
}

/** Every proper ancestor directory of `paths` (not `/`), parents first. */
export function ancestorsOf(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}
