import { createWriteStream, type WriteStream } from 'node:fs';
import { execa } from 'execa';
import { CappedOutput } from './capped-output.js';
import { killProcessTree } from './kill-tree.js';
import { DEFAULT_OUTPUT, type SandboxIsolation, type SandboxRun, type SandboxSpec } from './sandbox-spec.js';

/**
 * Starts `file args` in a process group of its own and waits for it: output
 * streamed into a CappedOutput (and the log file), a timer and the abort
 * signal SIGKILL the group. Under bwrap the group's leader is bwrap itself,
 * and its death takes the sandbox's PID 1 and so the whole PID namespace
 * with it (--die-with-parent); unconfined, only the group dies.
 */
export async function spawnCapped(file: string, args: readonly string[], spec: SandboxSpec, opts: { cwd: string; env: Record<string, string>; isolation: SandboxIsolation; preface?: string }): Promise<SandboxRun> {
  const started = Date.now();
  const budget = spec.output ?? DEFAULT_OUTPUT;
  let log: WriteStream | undefined;
  if (spec.logFile) log = createWriteStream(spec.logFile, { flags: 'a' });
  if (opts.preface) log?.write(opts.preface);
  const output = new CappedOutput(budget.headBytes, budget.tailBytes, log ? (chunk) => log.write(chunk) : undefined);
  const child = execa(file, args, {
    cwd: opts.cwd, env: opts.env, extendEnv: false, reject: false, buffer: false, detached: true,
    ...(spec.stdin !== undefined ? { input: spec.stdin } : { stdin: 'ignore' as const }),
  });
  const collect = (chunk: Buffer | string): void => output.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let stopped: 'timed-out' | 'cancelled' | undefined;
  let released: NodeJS.Timeout | undefined;
  const kill = (why: 'timed-out' | 'cancelled'): void => {
    if (stopped) return;
    stopped = why;
    if (child.pid === undefined) return;
    void killProcessTree(child.pid);
    // Whatever escaped the kill must not hold the run open through the output pipe.
    released = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, 5000);
  };
  if (child.pid !== undefined) await spec.onStart?.(child.pid);
  const timer = setTimeout(() => kill('timed-out'), spec.timeoutMs);
  const onAbort = (): void => kill('cancelled');
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener('abort', onAbort, { once: true });
  const result = await child;
  clearTimeout(timer);
  clearTimeout(released);
  spec.signal?.removeEventListener('abort', onAbort);
  if (log) {
    const stream = log;
    await new Promise<void>((done) => stream.end(output.rest(), () => done()));
  }
  return {
    ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    ...(result.signal ? { signal: result.signal } : {}),
    ...(stopped ? { stopped } : {}),
    output: (opts.preface ?? '') + output.text(),
    outputBytes: output.totalBytes,
    elidedBytes: output.elidedBytes,
    durationMs: Date.now() - started,
    isolation: opts.isolation,
  };
}
