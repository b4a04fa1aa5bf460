import { lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SandboxIdentity } from './bwrap-command.js';
import { SandboxSpecError } from './sandbox-errors.js';

/** What the ledger knew of a directory when it last made its entries the sandbox's. */
interface DirRecord {
  /** The directory's mtime then; undefined when it was too recent to trust (an entry made in the same tick could follow). */
  readonly mtimeNs: bigint | undefined;
  readonly subdirs: readonly string[];
}

export interface LendFigures {
  /** Roots handed over whole (`chown -R`): the first time the ledger saw them. */
  readonly fullWalks: number;
  readonly dirsChecked: number;
  readonly dirsListed: number;
  readonly entriesChowned: number;
}

/** A directory changed less than this long ago may still gain an entry in the same mtime tick. */
const SETTLE_NS = 2_000_000_000n;

/**
 * Hands directory trees to the sandbox uid, and keeps handing them over
 * cheaply. The worker (root) writes into a lent tree between runs — git
 * checks out a commit, kbuild writes a .config — and those new entries are
 * root's, so the sandbox could not change them. Only creating an entry gives
 * it an owner, and creating one changes its directory's mtime; so after the
 * first hand-over (a `chown -R`), the next one stats the directories only
 * and lists and chowns just those whose mtime moved. On a kernel worktree
 * (~5,000 directories, ~80,000 files) that replaces a walk of every file
 * per run (bench/sandbox.ts prints both).
 */
export class OwnershipLedger {
  /** Per root: its identity (inode and birth time: a root removed and made again is handed over whole) and its directories. */
  private readonly known = new Map<string, { identity: string; dirs: Map<string, DirRecord> }>();
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly who: SandboxIdentity) {}

  /** Makes every entry under each root the sandbox's; one hand-over per root at a time. */
  async lend(roots: readonly string[]): Promise<LendFigures> {
    const figures = await Promise.all(roots.map((root) => this.serialised(root, () => this.lendOne(root))));
    return figures.reduce((a, b) => ({ fullWalks: a.fullWalks + b.fullWalks, dirsChecked: a.dirsChecked + b.dirsChecked, dirsListed: a.dirsListed + b.dirsListed, entriesChowned: a.entriesChowned + b.entriesChowned }), { fullWalks: 0, dirsChecked: 0, dirsListed: 0, entriesChowned: 0 });
  }

  private async serialised<T>(root: string, work: () => Promise<T>): Promise<T> {
    const before = this.busy.get(root) ?? Promise.resolve();
    const mine = before.then(work, work);
    this.busy.set(root, mine.catch(() => undefined));
    return mine;
  }

  private async lendOne(root: string): Promise<LendFigures> {
    const previous = this.known.get(root);
    const st = await lstat(root, { bigint: true });
    const identity = `${st.ino}@${st.birthtimeNs}`;
    if (previous?.identity !== identity) return this.firstLend(root, identity);
    const next = new Map<string, DirRecord>();
    const figures = { fullWalks: 0, dirsChecked: 0, dirsListed: 0, entriesChowned: 0 };
    for (let level = [root]; level.length > 0; ) {
      const found = await Promise.all(level.map((dir) => this.revisit(dir, previous.dirs.get(dir), next, figures)));
      level = found.flat();
    }
    this.known.set(root, { identity, dirs: next });
    return figures;
  }

  /** Checks one directory: lists it again only if its mtime moved; returns its subdirectories. */
  private async revisit(dir: string, before: DirRecord | undefined, next: Map<string, DirRecord>, figures: { dirsChecked: number; dirsListed: number; entriesChowned: number }): Promise<readonly string[]> {
    figures.dirsChecked++;
    let st;
    try {
      st = await lstat(dir, { bigint: true });
    } catch {
      return []; // removed since: nothing to hand over
    }
    if (!st.isDirectory()) return [];
    if (this.foreign(st)) {
      await lchown(dir, this.who.uid, this.who.gid);
      figures.entriesChowned++;
    }
    if (before?.mtimeNs !== undefined && before.mtimeNs === st.mtimeNs) {
      next.set(dir, before);
      return before.subdirs;
    }
    figures.dirsListed++;
    const subdirs: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        subdirs.push(path);
        continue; // its own visit checks its owner
      }
      const est = await lstat(path, { bigint: true }).catch(() => undefined);
      if (est && this.foreign(est)) {
        await lchown(path, this.who.uid, this.who.gid);
        figures.entriesChowned++;
      }
    }
    next.set(dir, { mtimeNs: settled(st.mtimeNs) ? st.mtimeNs : undefined, subdirs });
    return subdirs;
  }

  /** The first hand-over of a root: one `chown -R`, then the directory map for next time. */
  private async firstLend(root: string, identity: string): Promise<LendFigures> {
    const r = await execa('chown', ['-R', '--no-dereference', `${this.who.uid}:${this.who.gid}`, '--', root], { reject: false, timeout: 300_000 });
    if (r.exitCode !== 0) throw new SandboxSpecError('writable', `could not hand ${root} to the sandbox user: ${String(r.stderr).split('\n')[0] ?? ''}`);
    const map = new Map<string, DirRecord>();
    let dirs = 0;
    for (let level = [root]; level.length > 0; ) {
      const found = await Promise.all(level.map(async (dir) => {
        dirs++;
        const st = await lstat(dir, { bigint: true }).catch(() => undefined);
        if (!st?.isDirectory()) return [];
        const subdirs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
        map.set(dir, { mtimeNs: settled(st.mtimeNs) ? st.mtimeNs : undefined, subdirs });
        return subdirs;
      }));
      level = found.flat();
    }
    this.known.set(root, { identity, dirs: map });
    return { fullWalks: 1, dirsChecked: dirs, dirsListed: dirs, entriesChowned: 0 };
  }

  private foreign(st: { uid: bigint; gid: bigint }): boolean {
    return st.uid !== BigInt(this.who.uid) || st.gid !== BigInt(this.who.gid);
  }
}

function settled(mtimeNs: bigint): boolean {
  return BigInt(Date.now()) * 1_000_000n - mtimeNs > SETTLE_NS;
}
