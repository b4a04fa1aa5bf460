import { lstatSync, readdirSync, type Dirent } from 'node:fs';

/** A directory's identity and last change, and its subdirectories as read at that stamp. */
interface DirNode {
  readonly ino: bigint;
  readonly ctimeNs: bigint;
  readonly children: readonly string[];
}

/** Relative directory path ('' is the root) → what the last pass saw. */
export type DirStamps = ReadonlyMap<string, DirNode>;

// A pass lstat()s ~5,000 directories before every step: plain string paths, no stamp strings.
const pathOf = (root: string, rel: string): string => (rel === '' ? root : `${root}/${rel}`);

function subdirs(root: string, rel: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(pathOf(root, rel), { withFileTypes: true });
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
  for (const node of stamps.values()) {
    if (node.ctimeNs % 1_000_000_000n !== 0n) {
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
    const now = lstatSync(pathOf(root, rel), { bigint: true, throwIfNoEntry: false });
    if (!now?.isDirectory()) return;
    if (sinceNs !== undefined && now.ctimeNs >= sinceNs) {
      changed.push(rel);
      return;
    }
    const prev = stamps.get(rel);
    // An unchanged directory keeps its node: no allocation for the ~5,000 that did not change.
    const node = prev !== undefined && prev.ino === now.ino && prev.ctimeNs === now.ctimeNs ? prev : { ino: now.ino, ctimeNs: now.ctimeNs, children: subdirs(root, rel) };
    next.set(rel, node);
    for (const c of node.children) visit(c);
  };
  visit('');
  return { changed, stamps: next };
}
