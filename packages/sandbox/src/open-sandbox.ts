import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bwrapSandbox, lookUpIdentity } from './bwrap-sandbox.js';
import type { Sandbox } from './sandbox-spec.js';
import { unavailableSandbox, unconfinedSandbox } from './unconfined-sandbox.js';

export type SandboxSetting = 'on' | 'off';

export type OpenedSandbox =
  | { readonly status: 'ready'; readonly sandbox: Sandbox; readonly uid: number | 'self' }
  | { readonly status: 'off'; readonly sandbox: Sandbox }
  | { readonly status: 'unavailable'; readonly sandbox: Sandbox; readonly reason: string };

/** The line every unconfined run's evidence starts with. */
export const SANDBOX_OFF_NOTICE = 'kbisect: SANDBOX OFF (KBISECT_SANDBOX=off): this ran unconfined, as the worker, with its files and network\n';

/**
 * A worker's sandbox, chosen once at start: `off` only when the operator
 * says so; otherwise bwrap, probed with a trivial command (a `/bin/sh` that
 * writes into a bound directory) so a host without user namespaces is known
 * at start, not at the first build. A failed probe yields a sandbox that
 * refuses every run with the probe's reason.
 */
export async function openSandbox(setting: SandboxSetting, user: string): Promise<OpenedSandbox> {
  if (setting === 'off') return { status: 'off', sandbox: unconfinedSandbox({ preface: SANDBOX_OFF_NOTICE }) };
  const root = process.getuid?.() === 0;
  let identity;
  try {
    identity = root ? await lookUpIdentity(user) : undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { status: 'unavailable', sandbox: unavailableSandbox(reason), reason };
  }
  const sandbox = bwrapSandbox(identity ? { identity } : {});
  const dir = await mkdtemp(join(tmpdir(), 'kbisect-sandbox-probe-'));
  try {
    const run = await sandbox.run({ argv: ['/bin/sh', '-c', 'echo ok > probe && cat probe'], cwd: dir, writable: [dir], timeoutMs: 20_000 });
    if (run.exitCode === 0 && run.output.trim() === 'ok') return { status: 'ready', sandbox, uid: identity?.uid ?? 'self' };
    const reason = `bwrap probe ${run.stopped ?? `exited ${run.exitCode ?? run.signal ?? '?'}`}: ${run.output.trim().split('\n')[0]?.slice(0, 300) ?? ''}`;
    return { status: 'unavailable', sandbox: unavailableSandbox(reason), reason };
  } catch (err) {
    const reason = `bwrap probe failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    return { status: 'unavailable', sandbox: unavailableSandbox(reason), reason };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
