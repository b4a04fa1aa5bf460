import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArtifactDisk, StoreClient } from '@kbisect/artifact-store';
import type { CachedBuild } from '@kbisect/kbuild';
import { BUILD_TOKEN, LAB_TOKEN, startTestStore, type TestStore } from '../../../packages/artifact-store/src/store.test-support.js';
import { storeFetcher } from './kernel-fetcher.js';
import { storePublisher } from './kernel-publisher.js';

const KEY = 'd'.repeat(64);

describe('build and lab workers through a real artifact store', () => {
  let t: TestStore;
  let dir: string;
  let built: CachedBuild;

  beforeEach(async () => {
    t = await startTestStore();
    dir = await mkdtemp(join(tmpdir(), 'kbisect-kernel-store-'));
    const files = { bzImage: 'bzImage bytes', config: 'CONFIG_X=y\n', 'System.map': 'ffff T start\n', 'build.log': 'make\n', 'modules.tar.gz': 'modules' };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    built = { key: KEY, dir, bzImage: join(dir, 'bzImage'), config: join(dir, 'config'), systemMap: join(dir, 'System.map'), log: join(dir, 'build.log'), modules: join(dir, 'modules.tar.gz'), meta: {} };
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads once per key (HEAD first), pins for each bisection, and releases at the end', async () => {
    const spy = vi.spyOn(globalThis, 'fetch');
    const publisher = storePublisher(new StoreClient(t.url, BUILD_TOKEN));
    expect(await publisher.publish('bisection-a', built)).toBe(KEY);
    expect(await publisher.publish('bisection-b', built)).toBe(KEY);
    const puts = spy.mock.calls.filter(([url, init]) => init?.method === 'PUT' && String(url).includes('/files/'));
    expect(puts).toHaveLength(5);
    expect(await new StoreClient(t.url, BUILD_TOKEN).release('bisection-a')).toBe(1);
    expect(await new StoreClient(t.url, BUILD_TOKEN).release('bisection-b')).toBe(1);
  });

  it('gives the lab its own checked copy, and fetches again a copy damaged on the lab\'s disk', async () => {
    await storePublisher(new StoreClient(t.url, BUILD_TOKEN)).publish('bisection-a', built);
    const disk = await ArtifactDisk.open(join(dir, 'lab-cache'), 1024 ** 2);
    const kernels = storeFetcher(new StoreClient(t.url, LAB_TOKEN), disk);
    const first = await kernels.fetch(KEY);
    expect(first.bzImage.startsWith(join(dir, 'lab-cache'))).toBe(true);
    expect(await readFile(first.bzImage, 'utf8')).toBe('bzImage bytes');
    expect(first.modules).toBe(disk.filePath(KEY, 'modules.tar.gz'));
    first.release();
    await writeFile(first.bzImage, 'bzImage BYTES');
    const spy = vi.spyOn(globalThis, 'fetch');
    const second = await kernels.fetch(KEY);
    expect(await readFile(second.bzImage, 'utf8')).toBe('bzImage bytes');
    expect(spy.mock.calls.filter(([url]) => String(url).endsWith('/files/bzImage'))).toHaveLength(1);
    second.release();
  });
});
