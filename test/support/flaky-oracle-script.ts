import { startBarrier } from './start-barrier.js';

/**
 * A test command for flaky reproducers that stays exact when several runs go
 * at once: each run of a commit takes the next ordinal by `mkdir` (atomic),
 * and a bad commit shows the bug on odd ordinals only (its first run misses:
 * detection 0.5). Logs "start|released|end <ms> <commit> <ordinal>" for maxConcurrent;
 * the first `together` runs wait for each other (startBarrier).
 */
export function alternatingOracleScript(paths: { readonly badFile: string; readonly countsDir: string; readonly log: string }, sleepSec: number, together = 1): string {
  return `#!/bin/sh
h=$(git rev-parse HEAD)
n=0
while ! mkdir '${paths.countsDir}'/"$h.$n" 2>/dev/null; do n=$((n + 1)); done
echo "start $(date +%s%3N) $h $n" >> '${paths.log}'
${startBarrier(`'${paths.log}'`, together, '$h $n')}sleep ${sleepSec}
code=0
if grep -qx "$h" '${paths.badFile}' && [ $((n % 2)) -eq 1 ]; then code=1; fi
echo "end $(date +%s%3N) $h $n" >> '${paths.log}'
exit $code
`;
}
