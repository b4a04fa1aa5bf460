import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArtifactDisk } from './artifact-disk.js';
import { StoreClient } from './store-client.js';
import { ArtifactIntegrityError, StoreError } from './store-errors.js';
import { artifactFiles, BUILD_TOKEN, LAB_TOKEN, startTestStore, type TestStore } from './store.test-support.js';

const KEY_A = 'a'.repeat(64);
const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

describe('the artifact store over HTTP', () => {
  let t: TestStore;
  let scratch: string;
  let build: StoreClient;
  let lab: StoreClient;

  beforeEach(async () => {
    t = await startTestStore();
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-store-files-'));
    build = new StoreClient(t.url, BUILD_TOKEN);
    lab = new StoreClient(t.url, LAB_TOKEN, { retryDelayMs: 10 });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('takes a build upload and hands a lab an identical, checked copy', async () => {
    expect(await build.has(KEY_A)).toBe(false);
    const manifest = await build.upload(KEY_A, await artifactFiles(scratch, { bzImage: 'kernel bytes '.repeat(1000), config: 'CONFIG_X=y\n' }));
    expect(manifest.files.map((f) => f.name)).toEqual(['bzImage', 'config']);
    expect(await build.has(KEY_A)).toBe(true);
    const local = await ArtifactDisk.open(join(scratch, 'lab-cache'), 1024 ** 2);
    await lab.pull(KEY_A, local, new Set());
    expect(await readFile(local.filePath(KEY_A, 'bzImage'), 'utf8')).toBe('kernel bytes '.repeat(1000));
    expect((await local.verify(KEY_A)).files[0]!.sha256).toBe(sha('kernel bytes '.repeat(1000)));
  });

  it('refuses an upload without a credential (401) and from a lab credential (403)', async () => {
    const put = (auth?: string) => fetch(`${t.url}/store/v1/artifacts/${KEY_A}/files/bzImage`, {
      method: 'PUT', body: 'x', headers: { 'content-type': 'application/octet-stream', 'x-kbisect-sha256': sha('x'), ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    });
    const anonymous = await put();
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'KBISECT_ERR_STORE_UNAUTHENTICATED' } });
    expect((await put('not-a-store-token-at-all')).status).toBe(401);
    const labPut = await put(LAB_TOKEN);
    expect(labPut.status).toBe(403);
    expect(await labPut.json()).toMatchObject({ error: { code: 'KBISECT_ERR_STORE_FORBIDDEN', message: expect.stringContaining("role 'lab'") } });
    expect((await put(BUILD_TOKEN)).status).toBe(201);
    // Reading needs a credential too.
    expect((await fetch(`${t.url}/store/v1/artifacts/${KEY_A}`)).status).toBe(401);
  });

  it('refuses a file whose bytes do not hash to what the uploader said, and a manifest that lies', async () => {
    const res = await fetch(`${t.url}/store/v1/artifacts/${KEY_A}/files/bzImage`, {
      method: 'PUT', body: 'tampered', headers: { authorization: `Bearer ${BUILD_TOKEN}`, 'content-type': 'application/octet-stream', 'x-kbisect-sha256': sha('original') },
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_STORE_DIGEST_MISMATCH' } });
    // The refused file was not staged: a manifest naming it is incomplete.
    const commit = (files: unknown) => fetch(`${t.url}/store/v1/artifacts/${KEY_A}`, { method: 'PUT', body: JSON.stringify({ files }), headers: { authorization: `Bearer ${BUILD_TOKEN}`, 'content-type': 'application/json' } });
    expect((await commit([{ name: 'bzImage', size: 8, sha256: sha('original') }])).status).toBe(409);
    // A staged file committed under another digest is refused as well.
    await fetch(`${t.url}/store/v1/artifacts/${KEY_A}/files/bzImage`, { method: 'PUT', body: 'good', headers: { authorization: `Bearer ${BUILD_TOKEN}`, 'content-type': 'application/octet-stream', 'x-kbisect-sha256': sha('good') } });
    const lying = await commit([{ name: 'bzImage', size: 4, sha256: sha('evil') }]);
    expect(lying.status).toBe(422);
    expect(await build.has(KEY_A)).toBe(false);
    // Keys and names are checked before they come near a path.
    const bad = await fetch(`${t.url}/store/v1/artifacts/..%2F..%2Fetc/files/passwd`, { headers: { authorization: `Bearer ${LAB_TOKEN}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'params.key' } });
  });

  it('refuses a corrupted file on download, retries, and never commits it to the lab cache', async () => {
    await build.upload(KEY_A, await artifactFiles(scratch, { bzImage: 'the real kernel' }));
    // Bit rot (or an attacker) on the store's disk: same size, other bytes.
    await writeFile(join(t.dir, 'store', 'artifacts', 'objects', KEY_A, 'bzImage'), 'the evil kernel');
    const spy = vi.spyOn(globalThis, 'fetch');
    const local = await ArtifactDisk.open(join(scratch, 'lab-cache'), 1024 ** 2);
    await expect(lab.pull(KEY_A, local, new Set())).rejects.toBeInstanceOf(ArtifactIntegrityError);
    expect(spy.mock.calls.filter(([url]) => String(url).endsWith('/files/bzImage'))).toHaveLength(3);
    expect(await local.manifest(KEY_A)).toBeUndefined();
  });

  it('retries a truncated download and keeps the good second copy', async () => {
    await build.upload(KEY_A, await artifactFiles(scratch, { bzImage: 'the whole kernel image' }));
    const real = globalThis.fetch;
    let cut = 0;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const res = await real(input, init);
      if (!String(input).endsWith('/files/bzImage') || cut++ > 0) return res;
      // The connection dies half-way: the first 9 bytes arrive, then the stream ends.
      return new Response((await res.text()).slice(0, 9), { status: 200, headers: res.headers });
    });
    const local = await ArtifactDisk.open(join(scratch, 'lab-cache'), 1024 ** 2);
    await lab.pull(KEY_A, local, new Set());
    expect(cut).toBe(2);
    expect(await readFile(local.filePath(KEY_A, 'bzImage'), 'utf8')).toBe('the whole kernel image');
  });

  it('uploads again a file altered on its way to the store: refused by its hash, the second copy kept', async () => {
    const real = globalThis.fetch;
    let altered = 0;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      if (init?.method !== 'PUT' || !String(input).endsWith('/files/bzImage') || altered++ > 0) return real(input, init);
      // One bit flipped in transit: same length, other bytes, so only the hash can tell.
      await (init.body as ReadableStream<Uint8Array>).cancel();
      return real(input, { ...init, body: 'the real kernel'.replace('r', 's') });
    });
    const retrying = new StoreClient(t.url, BUILD_TOKEN, { retryDelayMs: 10 });
    await retrying.upload(KEY_A, await artifactFiles(scratch, { bzImage: 'the real kernel', config: 'CONFIG_X=y\n' }));
    expect(altered).toBe(2);
    expect(spy.mock.calls.filter(([url, init]) => init?.method === 'PUT' && String(url).endsWith('/files/bzImage'))).toHaveLength(2);
    spy.mockRestore();
    const local = await ArtifactDisk.open(join(scratch, 'lab-cache'), 1024 ** 2);
    await lab.pull(KEY_A, local, new Set());
    expect(await readFile(local.filePath(KEY_A, 'bzImage'), 'utf8')).toBe('the real kernel');
  });

  it('gives up on an upload altered on every attempt with a StoreError naming the file, and commits nothing', async () => {
    const real = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      if (init?.method !== 'PUT' || !String(input).endsWith('/files/bzImage')) return real(input, init);
      await (init.body as ReadableStream<Uint8Array>).cancel();
      return real(input, { ...init, body: 'the evil kernel' });
    });
    const retrying = new StoreClient(t.url, BUILD_TOKEN, { retryDelayMs: 10 });
    const refused = await retrying.upload(KEY_A, await artifactFiles(scratch, { config: 'CONFIG_X=y\n', bzImage: 'the real kernel' })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect(refused).toMatchObject({ code: 'KBISECT_ERR_STORE_DIGEST_MISMATCH', category: 'infrastructure', message: expect.stringContaining('upload of bzImage') });
    expect(spy.mock.calls.filter(([url, init]) => init?.method === 'PUT' && String(url).endsWith('/files/bzImage'))).toHaveLength(3);
    // No commit was asked for: the store has nothing under the key.
    expect(spy.mock.calls.filter(([url, init]) => init?.method === 'PUT' && String(url).endsWith(`/artifacts/${KEY_A}`))).toHaveLength(0);
    spy.mockRestore();
    expect(await build.has(KEY_A)).toBe(false);
  });

  it('uploads again after a connection that broke mid-file, and names the file when it never gets through', async () => {
    const real = globalThis.fetch;
    let broken = 0;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      if (init?.method !== 'PUT' || !String(input).endsWith('/files/bzImage') || broken++ > 0) return real(input, init);
      await (init.body as ReadableStream<Uint8Array>).cancel();
      throw new TypeError('fetch failed: other side closed');
    });
    await new StoreClient(t.url, BUILD_TOKEN, { retryDelayMs: 10 }).upload(KEY_A, await artifactFiles(scratch, { bzImage: 'the real kernel' }));
    expect(broken).toBe(2);
    expect(await build.has(KEY_A)).toBe(true);
    vi.restoreAllMocks();
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      if (init?.method !== 'PUT' || !String(input).endsWith('/files/bzImage')) return real(input, init);
      await (init.body as ReadableStream<Uint8Array>).cancel();
      throw new TypeError('fetch failed: other side closed');
    });
    const KEY_B = 'b'.repeat(64);
    await expect(new StoreClient(t.url, BUILD_TOKEN, { retryDelayMs: 10 }).upload(KEY_B, await artifactFiles(scratch, { bzImage: 'the real kernel' })))
      .rejects.toMatchObject({ name: 'StoreError', code: 'KBISECT_ERR_STORE_UPSTREAM', message: 'artifact store: upload of bzImage: fetch failed: other side closed' });
  });

  it('answers ranges and ETags: 206 with Content-Range, 304 on a matching If-None-Match, 416 past the end', async () => {
    await build.upload(KEY_A, await artifactFiles(scratch, { bzImage: '0123456789' }));
    const url = `${t.url}/store/v1/artifacts/${KEY_A}/files/bzImage`;
    const auth = { authorization: `Bearer ${LAB_TOKEN}` };
    const whole = await fetch(url, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const etag = whole.headers.get('etag')!;
    expect(etag).toBe(`"${sha('0123456789')}"`);
    expect(await whole.text()).toBe('0123456789');
    const part = await fetch(url, { headers: { ...auth, range: 'bytes=2-5' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await part.text()).toBe('2345');
    expect(await (await fetch(url, { headers: { ...auth, range: 'bytes=-3' } })).text()).toBe('789');
    // A range under a stale validator: the whole (new) file.
    const stale = await fetch(url, { headers: { ...auth, range: 'bytes=2-5', 'if-range': '"0000"' } });
    expect(stale.status).toBe(200);
    await stale.body?.cancel();
    expect((await fetch(url, { headers: { ...auth, 'if-none-match': etag } })).status).toBe(304);
    const past = await fetch(url, { headers: { ...auth, range: 'bytes=10-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */10');
    const manifest = await fetch(`${t.url}/store/v1/artifacts/${KEY_A}`, { headers: auth });
    expect((await fetch(`${t.url}/store/v1/artifacts/${KEY_A}`, { headers: { ...auth, 'if-none-match': manifest.headers.get('etag')! } })).status).toBe(304);
    const head = await fetch(url, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10');
  });

  it('evicts the least recently used artifact under its size limit, never a pinned one', async () => {
    await t.close();
    t = await startTestStore({ limitBytes: 3000 });
    build = new StoreClient(t.url, BUILD_TOKEN);
    const keys = ['1', '2', '3', '4', '5'].map((c) => c.repeat(64));
    const upload = async (key: string) => {
      await build.upload(key, await artifactFiles(await mkdtemp(join(scratch, 'a-')), { bzImage: Buffer.alloc(1000, key[0]) }));
      // Distinct mtimes: the LRU order is the upload order.
      await new Promise((r) => setTimeout(r, 20));
    };
    await upload(keys[0]!);
    await build.pin('bisection-1', keys[0]!);
    await upload(keys[1]!);
    await upload(keys[2]!);
    await upload(keys[3]!);
    // The oldest (keys[0]) is pinned: the next oldest went.
    expect(await Promise.all(keys.slice(0, 4).map((k) => build.has(k)))).toEqual([true, false, true, true]);
    await build.pin('bisection-2', keys[2]!);
    await build.pin('bisection-2', keys[3]!);
    // Everything pinned: no room, and the upload says why.
    await expect(upload(keys[4]!)).rejects.toMatchObject({ code: 'KBISECT_ERR_STORE_FULL' });
    expect(await build.release('bisection-1')).toBe(1);
    await upload(keys[4]!);
    expect(await Promise.all(keys.map((k) => build.has(k)))).toEqual([false, false, true, true, true]);
  });

  it('renews a holder\'s pins: renewed ones outlive the TTL, the others lapse and may be evicted; a released or unknown holder renews nothing', async () => {
    await t.close();
    let now = 0;
    const minutes = (n: number): number => n * 60_000;
    t = await startTestStore({ limitBytes: 2000, pinTtlHours: 1, now: () => now });
    build = new StoreClient(t.url, BUILD_TOKEN);
    lab = new StoreClient(t.url, LAB_TOKEN);
    const [k1, k2, k3] = ['1', '2', '3'].map((c) => c.repeat(64)) as [string, string, string];
    const upload = async (key: string) => {
      await build.upload(key, await artifactFiles(await mkdtemp(join(scratch, 'a-')), { bzImage: Buffer.alloc(1000, key[0]) }));
      await new Promise((r) => setTimeout(r, 20));
    };
    await upload(k1);
    await build.pin('bisection-1', k1);
    await upload(k2);
    await build.pin('bisection-2', k2);
    now = minutes(50);
    expect(await build.renew('bisection-1')).toBe(1);
    expect(await build.renew('nobody')).toBe(0);
    expect((await lab.renew('bisection-1').catch((e: unknown) => e))).toMatchObject({ code: 'KBISECT_ERR_STORE_FORBIDDEN' });
    // 90 minutes: bisection-2's pin (60 min) lapsed, bisection-1's renewed one holds until 110.
    now = minutes(90);
    await upload(k3);
    // The least recently used (k1) stays, pinned; the lapsed k2 made room.
    expect(await Promise.all([k1, k2, k3].map((k) => build.has(k)))).toEqual([true, false, true]);
    expect(await build.release('bisection-1')).toBe(1);
    expect(await build.renew('bisection-1')).toBe(0);
  });

  it('refuses to pin an artifact it does not hold; a refused credential is the operator\'s to fix, a missing artifact is retried', async () => {
    await expect(build.pin('bisection-1', KEY_A)).rejects.toMatchObject({ code: 'KBISECT_ERR_STORE_NOT_FOUND', category: 'infrastructure' });
    const refused = await lab.pin('bisection-1', KEY_A).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect(refused).toMatchObject({ code: 'KBISECT_ERR_STORE_FORBIDDEN', category: 'configuration' });
  });
});
