/**
 * Shell lines for a timed test command, placed after it logs its start:
 * wait until `n` "start" lines are in the log (at most `maxSec`), so the
 * first n runs a scheduler launches at once overlap however slowly a loaded
 * machine gets each one going. A fixed sleep alone made "n at once" depend
 * on the machine's load as much as on the scheduler (2 of 3 overlapped once
 * under CI's load). Later runs find n starts already and do not wait.
 * Then it logs "released <ms> <run>": proof the run was alive once all n
 * had started, for a run a verdict stops (SIGKILL) before it logs its end
 * (maxConcurrent reads it).
 * `log` is a shell word (a quoted path or "$1"); `run` the shell words the
 * script's start line names its run by; `only`, when given, is a shell word
 * a counted start line must end with (e.g. "$KBISECT_BISECTION").
 */
export function startBarrier(log: string, n: number, run: string, opts: { readonly only?: string; readonly maxSec?: number } = {}): string {
  const pattern = opts.only === undefined ? `'^start '` : `"^start .* ${opts.only}\\$"`;
  const ticks = (opts.maxSec ?? 60) * 10;
  return `i=0; while [ "$(grep -c ${pattern} ${log})" -lt ${n} ] && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i + 1)); done\necho "released $(date +%s%3N) ${run}" >> ${log}\n`;
}
