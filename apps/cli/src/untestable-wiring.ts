import { dropBrokenDependencies, probeUntestable, type RevisionReader } from '@kbisect/kbuild';
import { forcesRun, narrowOf, probesUntestable, type UntestableMode } from '@kbisect/service/driver';
import type { RunRequest } from './run-ports.js';

/**
 * A local run's side of an untestable mode, by the service's rules
 * (probesUntestable, forcesRun, narrowOf): the cheap Kconfig probe on the
 * range, BROKEN dropped in the worktree of the runs that are forced, and the
 * engine's `narrow` parameter.
 */
export function untestableWiring(repo: RevisionReader, mode: UntestableMode, required: readonly string[]): Pick<RunRequest, 'untestable' | 'prepareWorktree' | 'narrow'> {
  const narrow = narrowOf({ type: 'command', untestable: mode }, { requireConfig: required });
  return {
    ...(probesUntestable(mode, required) ? { untestable: (graph, bad, goods) => probeUntestable(repo, { graph, bad, goods, required }) } : {}),
    ...(required.length > 0 && mode !== 'skip' ? { prepareWorktree: async (dir, purpose) => (forcesRun(mode, purpose) ? dropBrokenDependencies(dir, required) : []) } : {}),
    ...(narrow ? { narrow } : {}),
  };
}
