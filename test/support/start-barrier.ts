/**
 * A shell line for a timed test command, placed after it logs its start:
 * wait until `n` "start" lines are in the log (at most `maxSec`), so the
 * first n runs a scheduler launches at once overlap however slowly a loaded
 * machine gets each one going. A fixed sleep alone made "n at once" depend
 * on the machine's load as much as on the scheduler (2 of 3 overlapped once
 * under CI's load). Later runs find n starts already and do not wait.
 * `log` is a shell word (a quoted path or "$1"); `only`, when given, is a
 * shell word a counted start line must end with (e.g. "$KBISECT_BISECTION").
 */
export function startBarrier(log: string, n: number, opts: { readonly only?: string; readonly maxSec?: number } = {}): string {
  const pattern = opts.only === undefined ? `'^start '` : `"^start .* ${opts.only}\\$"`;
  const ticks = (opts.maxSec ?? 60) * 10;
  return `i=0; while [ "$(grep -c ${pattern} ${log})" -lt ${n} ] && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i + 1)); done\n`;
}
