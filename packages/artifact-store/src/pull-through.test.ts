import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArtifactDisk } from './artifact-disk.js';
import { StoreClient } from './store-client.js';
import { artifactFiles, BUILD_TOKEN, LAB_TOKEN, startTestStore, type TestStore } from './store.test-support.js';

const KEY = 'c'.repeat(64);

describe('a lab host\'s pull-through cache', () => {
  let upstream: TestStore;
  let cache: TestStore;
  let scratch: string;

  beforeEach(async () => {
    upstream = await startTestStore();
    cache = await startTestStore({ upstream: upstream.url });
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-pull-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await cache.close();
    await upstream.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('fetches an artifact from upstream once for two downloads', async () => {
    await new StoreClient(upstream.url, BUILD_TOKEN).upload(KEY, await artifactFiles(scratch, { bzImage: 'kernel '.repeat(5000), 'modules.tar.gz': 'modules' }));
    const spy = vi.spyOn(globalThis, 'fetch');
    const boots = await Promise.all(['boot-1', 'boot-2'].map(async (name) => {
      const disk = await ArtifactDisk.open(join(scratch, name), 1024 ** 2);
      await new StoreClient(cache.url, LAB_TOKEN).pull(KEY, disk, new Set());
      return readFile(disk.filePath(KEY, 'bzImage'), 'utf8');
    }));
    expect(boots).toEqual(['kernel '.repeat(5000), 'kernel '.repeat(5000)]);
    // A third, later download is served from the cache alone.
    await new StoreClient(cache.url, LAB_TOKEN).pull(KEY, await ArtifactDisk.open(join(scratch, 'boot-3'), 1024 ** 2), new Set());
    const fromUpstream = spy.mock.calls.map(([url]) => String(url)).filter((u) => u.startsWith(upstream.url));
    expect(fromUpstream.filter((u) => u.endsWith('/files/bzImage'))).toHaveLength(1);
    expect(fromUpstream.filter((u) => u.endsWith('/files/modules.tar.gz'))).toHaveLength(1);
    expect(spy.mock.calls.filter(([url]) => String(url).startsWith(cache.url) && String(url).endsWith('/files/bzImage'))).toHaveLength(3);
  });

  it('refuses uploads (405) and answers 404 for what upstream lacks', async () => {
    await expect(new StoreClient(cache.url, BUILD_TOKEN).upload(KEY, await artifactFiles(scratch, { bzImage: 'x' }))).rejects.toMatchObject({ code: 'KBISECT_ERR_STORE_READ_ONLY' });
    expect(await new StoreClient(cache.url, LAB_TOKEN).has(KEY)).toBe(false);
  });
});
