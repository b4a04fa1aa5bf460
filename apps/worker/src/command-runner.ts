import { READ_ONLY_GIT_ENV, type Sandbox, type SandboxIsolation, type SandboxNetwork } from '@kbisect/sandbox';

export type CommandRun = (
  | { readonly kind: 'exited'; readonly exitCode: number }
  | { readonly kind: 'signalled'; readonly signal: string }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'cancelled' }
) & { readonly output: string; readonly durationMs: number; readonly isolation: SandboxIsolation };

/** A probe's output kept as evidence: its first and last 256 KiB (the middle is counted, not stored). */
export const PROBE_OUTPUT = { headBytes: 256 * 1024, tailBytes: 256 * 1024 };

export interface ShellCommandOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** KBISECT_COMMIT and KBISECT_BISECTION: all of the worker's environment a probe sees. */
  readonly env: Readonly<Record<string, string>>;
  readonly sandbox: Sandbox;
  /** The worktree's repository, bound read-only so `git rev-parse HEAD` and friends work, as under git bisect run. */
  readonly gitDir?: string;
  /** More read-only directories (the worker's KBISECT_PROBE_READ_PATHS). */
  readonly readPaths?: readonly string[];
  /** @defaultValue 'none' (only a token that allows network may ask for 'host') */
  readonly network?: SandboxNetwork;
}

/**
 * Runs a submitter's command in a worktree, as the command probe does, in
 * the sandbox: the worktree writable, its repository read-only, HOME and TMPDIR a private /tmp, no
 * network, stdout and stderr interleaved and capped as evidence. A timeout
 * or a cancellation kills its whole PID namespace, `setsid` children too.
 */
export async function runShellCommand(command: string, opts: ShellCommandOptions): Promise<CommandRun> {
  const r = await opts.sandbox.run({
    argv: ['/bin/sh', '-c', command], cwd: opts.cwd, writable: [opts.cwd], readOnly: [...(opts.gitDir ? [opts.gitDir] : []), ...(opts.readPaths ?? [])], env: { ...opts.env, ...(opts.gitDir ? READ_ONLY_GIT_ENV : {}) }, timeoutMs: opts.timeoutMs, signal: opts.signal,
    network: opts.network ?? 'none', output: PROBE_OUTPUT, limits: { processes: 1024, fileSizeBytes: 1024 ** 3 },
  });
  const common = { output: r.output, durationMs: r.durationMs, isolation: r.isolation };
  if (r.stopped) return { kind: r.stopped, ...common };
  if (r.exitCode !== undefined) return { kind: 'exited', exitCode: r.exitCode, ...common };
  return { kind: 'signalled', signal: r.signal ?? 'unknown', ...common };
}
