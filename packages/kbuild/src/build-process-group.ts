import { readdir, readFile, rm, writeFile } from 'node:fs/promises';

/**
 * A kernel build's `make` runs in a process group of its own, so a timeout
 * kills every compiler it started. A worker that dies (SIGKILL, OOM) cannot
 * do that: its make keeps writing into the work dir, where the retried step
 * would build next. So the group is recorded in the work dir, and the next
 * build there first kills a recorded group that is still alive — only if
 * one of its processes names that work dir, since a PID can be reused.
 */

/** Groups this process is running, killed if it exits before they finish. */
const running = new Set<number>();
let exitHookInstalled = false;

export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function recordGroup(file: string, pgid: number): Promise<void> {
  running.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => running.forEach(killGroup));
  }
  await writeFile(file, `${pgid}\n`);
}

export async function forgetGroup(file: string, pgid: number): Promise<void> {
  running.delete(pgid);
  await rm(file, { force: true });
}

/** Live members of process group `pgid` with their command lines, from /proc. */
async function groupMembers(pgid: number): Promise<{ pid: number; cmdline: string }[]> {
  const members: { pid: number; cmdline: string }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so count from the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie is dead already; only its parent's wait() removes it.
      if (Number(pgrp) !== pgid || state === 'Z') continue;
      members.push({ pid: Number(name), cmdline: (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ') });
    } catch {
      // exited while we looked
    }
  }
  return members;
}

/**
 * Kills the group recorded in `file` if it still runs a process that names
 * `workDir`; waits (up to 10 s) until it is gone. Returns the PIDs it killed.
 */
export async function killStaleGroup(file: string, workDir: string): Promise<number[]> {
  const pgid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pgid) || pgid <= 1) return [];
  const members = await groupMembers(pgid);
  if (!members.some((m) => m.cmdline.includes(workDir))) {
    await rm(file, { force: true });
    return [];
  }
  killGroup(pgid);
  for (let i = 0; i < 100 && (await groupMembers(pgid)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  await rm(file, { force: true });
  return members.map((m) => m.pid);
}
