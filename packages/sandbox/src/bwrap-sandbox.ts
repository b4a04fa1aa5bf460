import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { execa } from 'execa';
import { bwrapCommand, type SandboxIdentity, type SystemMount } from './bwrap-command.js';
import { SandboxSpecError } from './sandbox-errors.js';
import { sandboxEnv } from './sandbox-env.js';
import { DEFAULT_LIMITS, type Sandbox, type SandboxRun, type SandboxSpec } from './sandbox-spec.js';
import { OwnershipLedger } from './ownership-ledger.js';
import { spawnCapped } from './spawn-capped.js';

export interface BwrapSandboxOptions {
  /**
   * The uid/gid commands run as, when the worker is root. A dedicated system
   * user (scripts/setup and the Dockerfile create `kbisect-sandbox`), so a
   * command can read only world-readable files and what it is given.
   */
  readonly identity?: SandboxIdentity;
}

/** The host's merged-/usr layout, read once: /usr read-only, /bin → usr/bin and friends as symlinks. */
export function systemMounts(): SystemMount[] {
  const mounts: SystemMount[] = [{ kind: 'ro', path: '/usr' }];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(path)) continue;
    const st = lstatSync(path);
    mounts.push(st.isSymbolicLink() ? { kind: 'symlink', path, target: readlinkSync(path) } : { kind: 'ro', path });
  }
  return mounts;
}

/** The uid and gid of a system user, or a reason it cannot be used. */
export async function lookUpIdentity(user: string): Promise<SandboxIdentity> {
  const r = await execa('getent', ['passwd', user], { reject: false, timeout: 10_000 });
  const fields = String(r.stdout).split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (r.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) throw new SandboxSpecError('user', `no system user '${user}' (scripts/setup creates it: useradd --system --user-group ${user})`);
  if (uid === 0 || gid === 0) throw new SandboxSpecError('user', `'${user}' is root; the sandbox needs an unprivileged user`);
  return { uid, gid };
}

/** The bubblewrap adapter of the Sandbox port (see bwrap-command.ts for what it sets up). */
export function bwrapSandbox(opts: BwrapSandboxOptions = {}): Sandbox {
  const system = systemMounts();
  // Files the worker made in a writable dir are root's: the sandbox uid is given them before each run.
  const ledger = opts.identity ? new OwnershipLedger(opts.identity) : undefined;
  return {
    mode: 'bwrap',
    async run(spec: SandboxSpec): Promise<SandboxRun> {
      const writable = spec.writable ?? [];
      const readOnly = spec.readOnly ?? [];
      for (const p of [...writable, ...readOnly]) if (!existsSync(p)) throw new SandboxSpecError('paths', `'${p}' does not exist`);
      const env = sandboxEnv(spec.env ?? {}, spec.home ?? '/tmp');
      const { file, args } = bwrapCommand({
        system, network: spec.network ?? 'none', writable, readOnly, cwd: spec.cwd, argv: spec.argv,
        limits: { ...DEFAULT_LIMITS, ...spec.limits }, ...(opts.identity ? { identity: opts.identity } : {}),
      });
      await ledger?.lend(writable);
      return spawnCapped(file, args, spec, { cwd: '/', env, isolation: 'bwrap' });
    },
  };
}
