import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Build slots: each is a worktree plus build dirs that exactly one build uses
 * at a time, kept between steps so builds stay incremental. They live under
 * <cacheDir>/kbuild/<host>/slot-N, so build workers on several hosts that
 * share the cache (the compose file's kernel-cache volume, `--scale build=N`)
 * never share one, and each is claimed with a lock file holding the worker's
 * PID, so two worker processes on one host do not either. A lock whose PID is
 * gone is taken over, build dirs and all — that is what keeps a restarted
 * worker's next step incremental.
 */
export interface BuildSlots {
  readonly dirs: readonly string[];
  release(): Promise<void>;
}

const MAX_SLOTS = 256;
/** Locks this process holds: its own PID in a lock it does not hold is a previous life's (PID 1 in a restarted container). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryClaim(lock: string): Promise<boolean> {
  if (held.has(lock)) return false;
  const mine = `${process.pid}\n`;
  try {
    await writeFile(lock, mine, { flag: 'wx' });
    held.add(lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) return false;
  await writeFile(lock, mine);
  // Two processes taking over the same stale lock: the last writer wins, the other moves on.
  await new Promise((r) => setTimeout(r, 20));
  const won = (await readFile(lock, 'utf8').catch(() => '')) === mine;
  if (won) held.add(lock);
  return won;
}

export async function claimBuildSlots(cacheDir: string, count: number, host: string = hostname()): Promise<BuildSlots> {
  return claimSlots(cacheDir, 'kbuild', count, host);
}

/**
 * Slots of one kind under <cacheDir>/<area>/<host>/slot-N, claimed as build
 * slots are: 'kbuild' for builds, 'test-checkouts' for the command-test role's
 * reusable checkouts (test-checkouts.ts).
 */
export async function claimSlots(cacheDir: string, area: 'kbuild' | 'test-checkouts', count: number, host: string = hostname()): Promise<BuildSlots> {
  // A host name is a directory name here: no separators, and no leading dots ('..' must not climb).
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, (dots) => '_'.repeat(dots.length)) || 'host';
  const base = join(cacheDir, area, safeHost);
  await mkdir(base, { recursive: true });
  const dirs: string[] = [];
  for (let n = 0; n < MAX_SLOTS && dirs.length < count; n++) {
    const dir = join(base, `slot-${n}`);
    if (await tryClaim(`${dir}.lock`)) dirs.push(dir);
  }
  if (dirs.length < count) throw new Error(`no free slot under ${base}: ${MAX_SLOTS} are held by live processes`);
  return {
    dirs,
    async release() {
      for (const dir of dirs) {
        held.delete(`${dir}.lock`);
        await rm(`${dir}.lock`, { force: true });
      }
    },
  };
}
