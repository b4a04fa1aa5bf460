import { readdir, readFile } from 'node:fs/promises';

/** The pid and parent pid in a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function parseStat(line: string): { state: string; ppid: number } | undefined {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return fields[0] && Number.isInteger(ppid) ? { state: fields[0], ppid } : undefined;
}

/** Every descendant of `root` in a child → parent map, nearest first. */
export function descendantsOf(root: number, parentOf: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  for (let queue = [root]; queue.length > 0; ) {
    const next = queue.flatMap((p) => children.get(p) ?? []);
    found.push(...next);
    queue = next;
  }
  return found;
}

async function readStat(pid: string): Promise<{ state: string; ppid: number } | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone meanwhile
  }
}

async function parentMap(): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readStat(name);
    if (stat) map.set(Number(name), stat.ppid);
  }
  return map;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGKILLs the process group led by `leader` and every descendant of the
 * leader, whatever session it moved to. A group kill alone is not enough
 * under bwrap: a cancel that lands while bwrap is still setting up can kill
 * bwrap before its PID-namespace init has armed --die-with-parent, and that
 * init (and the command holding the output pipe) would live on. So the
 * leader is stopped first (it can fork no more), its tree is read from
 * /proc, and the tree dies before the group.
 */
export async function killProcessTree(leader: number): Promise<void> {
  signal(-leader, 'SIGSTOP');
  for (let i = 0; i < 20 && (await readStat(String(leader)))?.state === 'R'; i++) await new Promise((res) => setTimeout(res, 5));
  for (const pid of descendantsOf(leader, await parentMap())) signal(pid, 'SIGKILL');
  signal(-leader, 'SIGKILL');
}
