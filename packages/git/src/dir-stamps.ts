import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** A directory's identity and last change (ino:ctime), and its subdirectories as read at that stamp. */
interface DirNode {
  readonly stamp: string;
  readonly children: readonly string[];
}

/** Relative directory path ('' is the root) → what the last pass saw. */
export type DirStamps = ReadonlyMap<string, DirNode>;

interface Seen {
  readonly stamp: string;
  readonly ctimeNs: bigint;
}

function seen(path: string): Seen | undefined {
  const s = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return s?.isDirectory() ? { stamp: `${s.ino}:${s.ctimeNs}`, ctimeNs: s.ctimeNs } : undefined;
}

function subdirs(root: string, rel: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((d) => d.isDirectory() && !(rel === '' && d.name === '.git')).map((d) => (rel === '' ? d.name : `${rel}/${d.name}`));
}

/**
 * Stamps every directory under `root`. A directory whose stamp is unchanged
 * since `previous` has the same entries (a created, removed or renamed name
 * changes its ctime), so its subdirectories are taken from there unread.
 * `fineClock` is false when no directory's ctime has a sub-second part: a
 * file system whose clock is too coarse to tell a test's changes by time.
 */
export function scanDirs(root: string, previous: DirStamps = new Map()): { stamps: DirStamps; fineClock: boolean } {
  const { stamps } = sweepDirs(root, previous, undefined);
  let fineClock = false;
  for (const rel of stamps.keys()) {
    if ((seen(join(root, rel))?.ctimeNs ?? 0n) % 1_000_000_000n !== 0n) {
      fineClock = true;
      break;
    }
  }
  return { stamps, fineClock };
}

/**
 * One lstat pass over the directories known from `stamps` (and any that
 * appeared in a directory whose stamp changed): the outermost directories
 * whose ctime is at or after `sinceNs` (a name appeared, went or moved in them
 * since then) are `changed` and not descended into; the others are re-stamped,
 * re-read only where their stamp changed. A changed directory is left out of
 * the new stamps, so the next pass reads it afresh.
 */
export function sweepDirs(root: string, stamps: DirStamps, sinceNs: bigint | undefined): { changed: string[]; stamps: DirStamps } {
  const next = new Map<string, DirNode>();
  const changed: string[] = [];
  const visit = (rel: string): void => {
    const now = seen(join(root, rel));
    if (now === undefined) return;
    if (sinceNs !== undefined && now.ctimeNs >= sinceNs) {
      changed.push(rel);
      return;
    }
    const prev = stamps.get(rel);
    const children = prev?.stamp === now.stamp ? prev.children : subdirs(root, rel);
    next.set(rel, { stamp: now.stamp, children });
    for (const c of children) visit(c);
  };
  visit('');
  return { changed, stamps: next };
}
