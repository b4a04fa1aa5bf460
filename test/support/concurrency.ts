/**
 * The most tests running at the same moment, from a test's own log of
 * "start <ms> <run…>" and "end <ms> <run…>" lines; a stopped run (a start
 * with no end, cancelled as moot) does not count.
 */
export function maxConcurrent(lines: readonly string[]): number {
  const fields = lines.map((l) => l.split(' '));
  const runOf = (f: readonly string[]): string => f.slice(2).join(' ');
  const ended = new Set(fields.filter(([kind]) => kind === 'end').map(runOf));
  const events = fields.filter((f) => ended.has(runOf(f))).map(([kind, at]) => ({ at: Number(at), delta: kind === 'start' ? 1 : -1 }));
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.delta));
  return most;
}
