import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Value } from '@sinclair/typebox/value';
import type { ArtifactDisk } from './artifact-disk.js';
import { checkedFileName, checkedKey } from './artifact-names.js';
import { digestFile } from './hashing-write.js';
import { ManifestSchema, type Manifest, type ManifestFile } from './manifest.js';
import { StoreError, StoreConfigError, type StoreErrorCode } from './store-errors.js';

export const SHA256_HEADER = 'x-kbisect-sha256';

export interface StoreClientOptions {
  /** Attempts per upload or download before it fails (each file checked by its sha256). @defaultValue 3 */
  readonly attempts?: number;
  /** Delay between attempts. @defaultValue 500 */
  readonly retryDelayMs?: number;
  /** Per-request timeout. @defaultValue 600000 */
  readonly timeoutMs?: number;
}

/**
 * What another attempt may cure: bytes altered or cut short on the way (the
 * receiver's hash refuses them), a staged file gone before its commit, the far
 * side failing, or a connection that broke (not a StoreError at all). Missing,
 * refused, full, read-only or a bad name is the same the next time.
 */
const RETRYABLE: ReadonlySet<StoreErrorCode> = new Set(['KBISECT_ERR_STORE_DIGEST_MISMATCH', 'KBISECT_ERR_STORE_INCOMPLETE', 'KBISECT_ERR_STORE_UPSTREAM']);

function retryable(err: unknown): boolean {
  return !(err instanceof StoreError) || RETRYABLE.has(err.code);
}

/** The error a caller gets once the attempts ran out: a StoreError saying what failed (a broken connection becomes one naming the transfer). */
function asStoreError(err: unknown, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError('KBISECT_ERR_STORE_UPSTREAM', `artifact store: ${doing}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Reads a credential file (one bearer token, as deploy/make-secrets.sh writes it). */
export async function readStoreToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8').catch(() => {
    throw new StoreConfigError(`store token file ${file}: cannot be read`);
  })).trim();
  if (!/^\S{16,256}$/.test(token)) throw new StoreConfigError(`store token file ${file}: does not hold one token (16 to 256 characters, no spaces)`);
  return token;
}

/**
 * The artifact store over HTTP, for build workers (has, upload, pin, renew, release)
 * and lab hosts (pull into a local ArtifactDisk). Keys and names are checked
 * before they go into a URL.
 */
export class StoreClient {
  private readonly base: string;

  constructor(baseUrl: string, private readonly token: string, private readonly opts: StoreClientOptions = {}) {
    this.base = `${baseUrl.replace(/\/+$/, '')}/store/v1`;
  }

  static async fromFiles(url: string, tokenFile: string, opts: StoreClientOptions = {}): Promise<StoreClient> {
    return new StoreClient(url, await readStoreToken(tokenFile), opts);
  }

  private async request(method: string, path: string, init: { body?: string | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...init.headers },
      ...(init.body !== undefined ? { body: init.body, duplex: 'half' } : {}),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 600_000),
    } as RequestInit);
  }

  private static async fail(res: Response, doing: string): Promise<never> {
    const body = await res.json().catch(() => undefined) as { error?: { code?: string; message?: string } } | undefined;
    const code = (body?.error?.code ?? 'KBISECT_ERR_STORE_UPSTREAM') as StoreErrorCode;
    throw new StoreError(code.startsWith('KBISECT_ERR_STORE_') ? code : 'KBISECT_ERR_STORE_UPSTREAM', `artifact store: ${doing}: ${res.status} ${body?.error?.message ?? res.statusText}`);
  }

  /** Whether the store holds the artifact (HEAD: no body moves). */
  async has(key: string): Promise<boolean> {
    const res = await this.request('HEAD', `/artifacts/${checkedKey(key)}`);
    if (res.status === 404) return false;
    if (!res.ok) return StoreClient.fail(res, `HEAD ${key}`);
    return true;
  }

  async manifest(key: string): Promise<Manifest | undefined> {
    const res = await this.request('GET', `/artifacts/${checkedKey(key)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) return StoreClient.fail(res, `manifest of ${key}`);
    const body: unknown = await res.json();
    if (!Value.Check(ManifestSchema, body) || body.key !== key) throw new StoreError('KBISECT_ERR_STORE_UPSTREAM', `artifact store: the manifest of ${key} is malformed`);
    return body;
  }

  /**
   * Uploads the files (each with its sha256, which the store checks as it
   * streams) and commits them as `key`. A file refused by its hash, a commit
   * that finds a file missing, or a broken connection starts the upload
   * again, up to `attempts` times; then the StoreError names the file.
   */
  async upload(key: string, files: readonly { name: string; path: string }[]): Promise<Manifest> {
    checkedKey(key);
    // Hashed once: the files do not change between attempts, the bytes on the wire might.
    const listed: (ManifestFile & { path: string })[] = [];
    for (const f of files) listed.push({ name: checkedFileName(f.name), path: f.path, ...(await digestFile(f.path)) });
    let doing = `upload of ${key}`;
    return this.withAttempts(() => doing, async () => {
      for (const f of listed) {
        doing = `upload of ${f.name}`;
        const res = await this.request('PUT', `/artifacts/${key}/files/${f.name}`, {
          body: Readable.toWeb(createReadStream(f.path)) as ReadableStream<Uint8Array>,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(f.size), [SHA256_HEADER]: f.sha256 },
        });
        if (!res.ok) return StoreClient.fail(res, `upload of ${f.name}`);
        await res.body?.cancel();
      }
      doing = `commit of ${key}`;
      const res = await this.request('PUT', `/artifacts/${key}`, { body: JSON.stringify({ files: listed.map(({ name, size, sha256 }) => ({ name, size, sha256 })) }), headers: { 'content-type': 'application/json' } });
      if (!res.ok) return StoreClient.fail(res, `commit of ${key}`);
      return (await res.json()) as Manifest;
    });
  }

  /** Holds `key` for `holder` (a bisection id) until released: eviction passes it by. */
  async pin(holder: string, key: string): Promise<void> {
    const res = await this.request('PUT', `/pins/${encodeURIComponent(holder)}/${checkedKey(key)}`);
    if (!res.ok) return StoreClient.fail(res, `pin of ${key}`);
    await res.body?.cancel();
  }

  /** Renews every pin of `holder` (its TTL starts again); how many keys it holds, 0 when none. */
  async renew(holder: string): Promise<number> {
    const res = await this.request('PUT', `/pins/${encodeURIComponent(holder)}`);
    if (!res.ok) return StoreClient.fail(res, `renewal of ${holder}'s pins`);
    return ((await res.json()) as { renewed: number }).renewed;
  }

  /** Drops every pin of `holder`; how many keys it held. */
  async release(holder: string): Promise<number> {
    const res = await this.request('DELETE', `/pins/${encodeURIComponent(holder)}`);
    if (!res.ok) return StoreClient.fail(res, `release of ${holder}`);
    return ((await res.json()) as { released: number }).released;
  }

  /**
   * Downloads the artifact into `disk`, every file checked against its
   * manifest's sha256 and size as it streams; a truncated or altered file is
   * refused and the download tried again, up to `attempts` times.
   */
  async pull(key: string, disk: ArtifactDisk, keep: ReadonlySet<string>): Promise<Manifest> {
    return this.withAttempts(() => `download of ${key}`, async () => {
      const manifest = await this.manifest(key);
      if (!manifest) throw new StoreError('KBISECT_ERR_STORE_NOT_FOUND', `artifact store: no artifact ${key}`);
      for (const f of manifest.files) {
        const res = await this.request('GET', `/artifacts/${key}/files/${checkedFileName(f.name)}`);
        if (!res.ok || !res.body) return StoreClient.fail(res, `download of ${f.name}`);
        await disk.receive(key, f.name, Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), { sha256: f.sha256, size: f.size });
      }
      return disk.commit(key, { files: manifest.files }, keep);
    });
  }

  /** Runs one whole transfer up to `attempts` times while what failed is worth another try (RETRYABLE). */
  private async withAttempts<T>(doing: () => string, once: () => Promise<T>): Promise<T> {
    const attempts = this.opts.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (err) {
        if (!retryable(err) || attempt >= attempts) throw asStoreError(err, doing());
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 500));
      }
    }
  }
}
