import { sandboxEnv } from './sandbox-env.js';
import { SandboxUnavailableError } from './sandbox-errors.js';
import type { Sandbox, SandboxRun, SandboxSpec } from './sandbox-spec.js';
import { spawnCapped } from './spawn-capped.js';

/**
 * No namespaces: the command runs as the worker, sees its files and its
 * network. Still a cleared environment, capped output and a process group
 * killed on timeout (a `setsid` child escapes that). For `kbisect run` on
 * the user's own machine, and for an operator's KBISECT_SANDBOX=off, whose
 * `preface` line goes into every output so each step's evidence says so.
 */
export function unconfinedSandbox(opts: { preface?: string } = {}): Sandbox {
  return {
    mode: 'off',
    run(spec: SandboxSpec): Promise<SandboxRun> {
      const [file, ...args] = spec.argv;
      return spawnCapped(file, args, spec, { cwd: spec.cwd, env: sandboxEnv(spec.env ?? {}, spec.home ?? spec.cwd), isolation: 'none', ...(opts.preface ? { preface: opts.preface } : {}) });
    },
  };
}

/** What a worker whose sandbox failed its start probe holds: every run is refused, with the reason. */
export function unavailableSandbox(reason: string): Sandbox {
  return {
    mode: 'unavailable',
    run(): Promise<SandboxRun> {
      return Promise.reject(new SandboxUnavailableError(reason));
    },
  };
}
