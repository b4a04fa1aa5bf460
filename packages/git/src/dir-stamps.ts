import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** A directory's identity and last change: a new, removed or renamed entry changes its mtime. */
interface DirNode {
  readonly stamp: string;
  readonly children: readonly string[];
}

/** Relative directory path ('' is the root) → what the last scan saw. */
export type DirStamps = ReadonlyMap<string, DirNode>;

function stampOf(path: string): string | undefined {
  try {
    const s = lstatSync(path, { bigint: true });
    return s.isDirectory() ? `${s.ino}:${s.mtimeNs}:${s.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
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
 * since `previous` has the same entries, so its subdirectories are taken from
 * there without reading it: a rescan reads only the directories that changed
 * and lstat()s the rest (~5,000 on a kernel tree).
 */
export function scanDirs(root: string, previous: DirStamps = new Map()): DirStamps {
  const next = new Map<string, DirNode>();
  const visit = (rel: string): void => {
    const stamp = stampOf(join(root, rel));
    if (stamp === undefined) return;
    const prev = previous.get(rel);
    const children = prev?.stamp === stamp ? prev.children : subdirs(root, rel);
    next.set(rel, { stamp, children });
    for (const c of children) visit(c);
  };
  visit('');
  return next;
}

/**
 * The outermost directories whose entries changed since `stamps` was taken
 * (something was created, removed or renamed in them); [] when nothing was.
 * Changes of a file's content do not show here: only new and removed names.
 */
export function changedDirs(root: string, stamps: DirStamps): string[] {
  const changed: string[] = [];
  const visit = (rel: string): void => {
    const node = stamps.get(rel);
    if (node === undefined) return;
    if (stampOf(join(root, rel)) !== node.stamp) {
      changed.push(rel);
      return;
    }
    for (const c of node.children) visit(c);
  };
  visit('');
  return changed;
}
