import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDirs, sweepDirs } from './dir-stamps.js';

let root: string;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kbisect-stamps-'));
  await mkdir(join(root, 'a', 'b', 'c'), { recursive: true });
  await mkdir(join(root, 'd'));
  await mkdir(join(root, '.git'));
  await writeFile(join(root, 'a', 'b', 'file'), 'x');
  await tick();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n - 20_000_000n;

describe('directory stamps', () => {
  it('see nothing when nothing was created or removed, not even a changed file', async () => {
    const { stamps, fineClock } = scanDirs(root);
    expect(fineClock).toBe(true);
    expect([...stamps.keys()].sort()).toEqual(['', 'a', 'a/b', 'a/b/c', 'd']);
    const since = nowNs();
    await writeFile(join(root, 'a', 'b', 'file'), 'changed in place');
    expect(sweepDirs(root, stamps, since).changed).toEqual([]);
  });

  it('name the outermost directories where a name appeared, went or moved since a moment, in one pass', async () => {
    const { stamps } = scanDirs(root);
    const since = nowNs();
    await writeFile(join(root, 'a', 'b', 'c', 'new.o'), 'x');
    await rm(join(root, 'd'), { recursive: true });
    const first = sweepDirs(root, stamps, since);
    expect(first.changed).toEqual(['']);
    expect(first.stamps.size).toBe(0);
    // What changed before the moment (a checkout) is re-read, not reported.
    await mkdir(join(root, 'e', 'f'), { recursive: true });
    await tick();
    const later = nowNs();
    const again = sweepDirs(root, stamps, later);
    expect(again.changed).toEqual([]);
    expect([...again.stamps.keys()].sort()).toEqual(['', 'a', 'a/b', 'a/b/c', 'e', 'e/f']);
    await tick();
    const third = nowNs();
    await mkdir(join(root, 'a', 'b', 'c', 'obj'));
    await rename(join(root, 'a', 'b', 'file'), join(root, 'a', 'b', 'moved'));
    await writeFile(join(root, 'e', 'f', 'x.o'), 'x');
    expect(sweepDirs(root, again.stamps, third).changed.sort()).toEqual(['a/b', 'e/f']);
  });

  it('a directory replaced by another of the same name shows in its parent', async () => {
    const { stamps } = scanDirs(root);
    const since = nowNs();
    await rm(join(root, 'a', 'b', 'c'), { recursive: true });
    await mkdir(join(root, 'a', 'b', 'c'));
    expect(sweepDirs(root, stamps, since).changed).toEqual(['a/b']);
  });
});
