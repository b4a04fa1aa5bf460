import { execa } from 'execa';

export type CommandRun =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly output: string; readonly durationMs: number }
  | { readonly kind: 'signalled'; readonly signal: string; readonly output: string; readonly durationMs: number }
  | { readonly kind: 'timed-out'; readonly output: string; readonly durationMs: number }
  | { readonly kind: 'cancelled'; readonly output: string; readonly durationMs: number };

/**
 * Runs a submitter's command in a worktree, as the command probe does: its
 * output is kept (stdout and stderr interleaved) as evidence. The command runs
 * in a process group of its own, so a timeout or a cancellation kills
 * everything it started, not just the shell.
 */
export async function runShellCommand(command: string, opts: { cwd: string; timeoutMs: number; signal: AbortSignal; env: Record<string, string> }): Promise<CommandRun> {
  const started = Date.now();
  const child = execa('/bin/sh', ['-c', command], { cwd: opts.cwd, all: true, reject: false, stdin: 'ignore', detached: true, env: opts.env, extendEnv: true });
  let stopped: 'timed-out' | 'cancelled' | undefined;
  const killGroup = (why: 'timed-out' | 'cancelled'): void => {
    stopped ??= why;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const timer = setTimeout(() => killGroup('timed-out'), opts.timeoutMs);
  const onAbort = (): void => killGroup('cancelled');
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  const result = await child;
  clearTimeout(timer);
  opts.signal.removeEventListener('abort', onAbort);
  const output = typeof result.all === 'string' ? result.all : '';
  const durationMs = Date.now() - started;
  if (stopped) return { kind: stopped, output, durationMs };
  if (result.exitCode !== undefined) return { kind: 'exited', exitCode: result.exitCode, output, durationMs };
  return { kind: 'signalled', signal: result.signal ?? 'unknown', output, durationMs };
}
