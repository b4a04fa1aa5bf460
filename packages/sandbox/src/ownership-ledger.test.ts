/** The ledger against the real file system (root only: it chowns to the sandbox user scripts/setup creates). */
import { lstat, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookUpIdentity } from './bwrap-sandbox.js';
import { OwnershipLedger } from './ownership-ledger.js';
import type { SandboxIdentity } from './bwrap-command.js';

const asRoot = process.getuid?.() === 0;
let dir: string;
let who: SandboxIdentity;

// Directory mtimes younger than the ledger's settle time are listed again every time; age them so the test sees the steady state.
async function age(...paths: string[]): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const p of paths) await utimes(p, past, past);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-ledger-test-'));
  if (asRoot) who = await lookUpIdentity('kbisect-sandbox');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe.skipIf(!asRoot)('the ownership ledger', () => {
  it('hands a tree over whole once, then lists only the directories where the worker made entries', async () => {
    const root = join(dir, 'tree');
    const dirs = ['a', 'a/b', 'c', 'c/d', 'c/d/e'].map((d) => join(root, d));
    for (const d of dirs) await mkdir(d, { recursive: true });
    for (const d of dirs) await writeFile(join(d, 'f'), 'x');
    await age(root, ...dirs);
    const ledger = new OwnershipLedger(who);

    const first = await ledger.lend([root]);
    expect(first.fullWalks).toBe(1);
    expect((await lstat(join(root, 'c/d/e/f'))).uid).toBe(who.uid);

    const quiet = await ledger.lend([root]);
    expect(quiet).toEqual({ fullWalks: 0, dirsChecked: 6, dirsListed: 0, entriesChowned: 0 });

    // As a checkout would: a new file deep down and a new directory with a file, both root's.
    await writeFile(join(root, 'c/d/new'), 'y');
    await mkdir(join(root, 'a/b/fresh'));
    await writeFile(join(root, 'a/b/fresh/g'), 'z');
    const after = await ledger.lend([root]);
    expect(after.fullWalks).toBe(0);
    expect(after.dirsListed).toBe(3); // c/d and a/b changed; a/b/fresh is new
    expect(after.entriesChowned).toBe(3); // c/d/new, a/b/fresh, a/b/fresh/g
    for (const p of ['c/d/new', 'a/b/fresh', 'a/b/fresh/g']) expect((await lstat(join(root, p))).uid, p).toBe(who.uid);
  });

  it('hands a root that was removed and made again over whole', async () => {
    const root = join(dir, 'again');
    await mkdir(root);
    const ledger = new OwnershipLedger(who);
    await ledger.lend([root]);
    await rm(root, { recursive: true });
    await mkdir(join(root, 'x'), { recursive: true });
    const r = await ledger.lend([root]);
    expect(r.fullWalks).toBe(1);
    expect((await lstat(join(root, 'x'))).uid).toBe(who.uid);
  });
});
