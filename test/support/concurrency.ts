/**
 * The most tests running at the same moment, from a test's own log of
 * "start <ms> <run…>", "end <ms> <run…>" and, after a start barrier,
 * "released <ms> <run…>" lines. A run stopped as moot (SIGKILL: no end line)
 * counts until its last line after the start, since it was alive then: a
 * verdict that mooted one of the first runs before it logged its end made
 * "3 at once" read 2 under CI's load. A run with a start line alone does
 * not count.
 */
export function maxConcurrent(lines: readonly string[]): number {
  const fields = lines.map((l) => l.split(' '));
  const runOf = (f: readonly string[]): string => f.slice(2).join(' ');
  const ended = new Set(fields.filter(([kind]) => kind === 'end').map(runOf));
  const lastAlive = new Map<string, number>();
  for (const f of fields) if (f[0] !== 'start' && f[0] !== 'end' && !ended.has(runOf(f))) lastAlive.set(runOf(f), Math.max(lastAlive.get(runOf(f)) ?? 0, Number(f[1])));
  // Order at one millisecond: a logged end may precede a start, so it goes
  // first (never overcounts); a run seen alive was alive after every start
  // logged before its line, so its mark goes after them.
  const END = 0;
  const START = 1;
  const SEEN_ALIVE = 2;
  const events: { at: number; delta: number; order: number }[] = [];
  for (const f of fields) {
    const run = runOf(f);
    const at = Number(f[1]);
    if (f[0] === 'end') events.push({ at, delta: -1, order: END });
    else if (f[0] === 'start' && (ended.has(run) || lastAlive.has(run))) events.push({ at, delta: 1, order: START });
  }
  for (const at of lastAlive.values()) events.push({ at, delta: -1, order: SEEN_ALIVE });
  events.sort((a, b) => a.at - b.at || a.order - b.order);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.delta));
  return most;
}
