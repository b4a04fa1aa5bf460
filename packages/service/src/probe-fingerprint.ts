import { createHash } from 'node:crypto';
import type { BisectionRequest } from './request-schema.js';
import { requiredSymbolsOf, untestableModeOf } from './untestable-mode.js';

/** What decides a bisect run's verdict besides the commit: two requests with the same fingerprint may share results. */
export interface FingerprintInputs {
  readonly request: Pick<BisectionRequest, 'repo' | 'probe' | 'options'>;
  /** The registered tree the submission named (the `created` event's `tree`), if any. */
  readonly tree?: string | undefined;
  /** The compilers the build workers pick from (kernel probes): see {@link toolchainIdentity}. */
  readonly toolchain: string;
}

/**
 * The probe fingerprint of the shared verdict cache: the tree (its registered
 * name and the repo it is pinned to), the config inputs (fragments, required
 * symbols, whether runs are built with BROKEN dropped), the toolchain, the
 * reproducer or command with its arguments (and whether the command had the
 * network), and the pool. Everything else a
 * request says (policy, priority, range, terms) changes which runs are asked
 * for, never what one run of a commit shows, so it is left out: a later
 * bisection over an overlapping range with another policy still reuses runs.
 */
export function probeFingerprint(inputs: FingerprintInputs): string {
  const { probe, repo, options } = inputs.request;
  const required = requiredSymbolsOf(probe, options);
  // Bisect runs are forced (BROKEN dropped) only under 'force'; 'narrow' forces only its own runs, which are never shared.
  const forced = required.length > 0 && untestableModeOf(probe) === 'force';
  const what = probe.type === 'command'
    ? { type: 'command', command: probe.command, ...(probe.network ? { network: true } : {}) }
    : {
        type: 'kernel',
        fragments: probe.configFragments,
        pool: probe.pool,
        reproducer: { name: probe.reproducer.name, args: probe.reproducer.args ?? [], timeoutSec: probe.reproducer.timeoutSec ?? null, crashesCount: probe.reproducer.crashesCount ?? false },
        toolchain: inputs.toolchain,
      };
  const canonical = JSON.stringify({ v: 1, tree: inputs.tree ?? null, repo, required, forced, probe: what });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** A stable name for a toolchain table (the rules and the fallback): a new compiler choice is a new fingerprint. */
export function toolchainIdentity(table: unknown): string {
  return createHash('sha256').update(JSON.stringify(table)).digest('hex').slice(0, 16);
}
