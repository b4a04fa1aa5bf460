import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedDirs, scanDirs } from './dir-stamps.js';

let root: string;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

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

describe('directory stamps', () => {
  it('see nothing when nothing was created or removed, not even a changed file', async () => {
    const stamps = scanDirs(root);
    expect([...stamps.keys()].sort()).toEqual(['', 'a', 'a/b', 'a/b/c', 'd']);
    await writeFile(join(root, 'a', 'b', 'file'), 'changed in place');
    expect(changedDirs(root, stamps)).toEqual([]);
  });

  it('name the outermost directories where a name appeared, went or moved', async () => {
    const stamps = scanDirs(root);
    await writeFile(join(root, 'a', 'b', 'c', 'new.o'), 'x');
    await rm(join(root, 'd'), { recursive: true });
    expect(changedDirs(root, stamps)).toEqual(['']);
    const again = scanDirs(root, stamps);
    expect([...again.keys()].sort()).toEqual(['', 'a', 'a/b', 'a/b/c']);
    await tick();
    await mkdir(join(root, 'a', 'b', 'c', 'obj'));
    await rename(join(root, 'a', 'b', 'file'), join(root, 'a', 'b', 'moved'));
    expect(changedDirs(root, again).sort()).toEqual(['a/b']);
  });
});
