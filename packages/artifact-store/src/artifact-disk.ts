import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Value } from '@sinclair/typebox/value';
import { checkedFileName, checkedKey, isArtifactKey } from './artifact-names.js';
import { digestFile, writeVerified } from './hashing-write.js';
import { ManifestSchema, type Manifest, type ManifestBody } from './manifest.js';
import { ArtifactIntegrityError, StoreError } from './store-errors.js';

/** Last use is refreshed at most this often per artifact: a boot reading five files does not write five times. */
const TOUCH_EVERY_MS = 30_000;
const STALE_STAGING_MS = 86_400_000;

/**
 * Artifacts on disk: `objects/<key>/<file>` plus `objects/<key>/manifest.json`,
 * committed whole by a rename, so a reader sees an artifact complete or not at
 * all. Uploads land in `staging/<this process>/<key>/` first, each file checked against its
 * sha256 as it streams in and again when the manifest commits it. Kept under
 * `limitBytes` by evicting the least recently used artifact nobody pins.
 * Only checked keys and names ever reach a path (artifact-names.ts).
 */
export class ArtifactDisk {
  private constructor(readonly root: string, readonly limitBytes: number, private readonly staging: string) {}

  /**
   * Several processes may share one root (lab workers on one host): each
   * stages in a directory of its own and commits by rename into `objects/`.
   */
  static async open(root: string, limitBytes: number): Promise<ArtifactDisk> {
    await mkdir(join(root, 'objects'), { recursive: true });
    await mkdir(join(root, 'staging'), { recursive: true });
    // Half-done transfers of a process gone for a day are not resumable: their sender retried or gave up.
    for (const old of await readdir(join(root, 'staging'))) {
      const at = (await stat(join(root, 'staging', old)).catch(() => undefined))?.mtimeMs ?? Date.now();
      if (Date.now() - at > STALE_STAGING_MS) await rm(join(root, 'staging', old), { recursive: true, force: true });
    }
    const staging = join(root, 'staging', `${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(staging);
    return new ArtifactDisk(root, limitBytes, staging);
  }

  private dir(key: string): string {
    return join(this.root, 'objects', checkedKey(key));
  }

  /** The artifact's manifest, or undefined when it is not here; a read counts as a use for LRU unless `touch` is false. */
  async manifest(key: string, opts: { touch?: boolean } = {}): Promise<Manifest | undefined> {
    const file = join(this.dir(key), 'manifest.json');
    const raw = await readFile(file, 'utf8').catch(() => undefined);
    if (raw === undefined) return undefined;
    const parsed: unknown = JSON.parse(raw);
    if (!Value.Check(ManifestSchema, parsed)) return undefined;
    if (opts.touch !== false) {
      const used = (await stat(file).catch(() => undefined))?.mtimeMs ?? 0;
      if (Date.now() - used > TOUCH_EVERY_MS) {
        const now = new Date();
        await utimes(file, now, now).catch(() => undefined);
      }
    }
    return parsed;
  }

  filePath(key: string, name: string): string {
    return join(this.dir(key), checkedFileName(name));
  }

  /** Receives one file of an upload (or a pull) into staging, refused unless its bytes hash to `sha256`. */
  async receive(key: string, name: string, source: Readable | AsyncIterable<Uint8Array>, expect: { sha256: string; size?: number }): Promise<void> {
    const staging = join(this.staging, checkedKey(key));
    await mkdir(staging, { recursive: true });
    const tmp = join(staging, `.${checkedFileName(name)}.${randomBytes(6).toString('hex')}`);
    await writeVerified(source, tmp, { ...expect, maxBytes: this.limitBytes, what: `${key.slice(0, 12)}/${name}` });
    await rename(tmp, join(staging, name));
  }

  /**
   * Commits the staged files `body` lists as the artifact `key`, after hashing
   * each again (another uploader of the same key may have replaced one).
   * Makes room first, evicting only unpinned artifacts; an artifact already
   * here stays as it is. Throws STORE_FULL when pinned artifacts leave no room.
   */
  async commit(key: string, body: ManifestBody, pinned: ReadonlySet<string>): Promise<Manifest> {
    const existing = await this.manifest(key);
    if (existing) return existing;
    const staging = join(this.staging, checkedKey(key));
    const names = new Set<string>();
    for (const f of body.files) {
      if (names.has(checkedFileName(f.name))) throw new StoreError('KBISECT_ERR_STORE_INVALID_NAME', `manifest: '${f.name}' is listed twice`);
      names.add(f.name);
      const staged = await digestFile(join(staging, f.name)).catch(() => undefined);
      if (!staged) throw new StoreError('KBISECT_ERR_STORE_INCOMPLETE', `manifest: '${f.name}' was not uploaded`);
      if (staged.sha256 !== f.sha256 || staged.size !== f.size) throw new ArtifactIntegrityError(`manifest: '${f.name}' has sha256 ${staged.sha256} (${staged.size} bytes), the manifest says ${f.sha256} (${f.size} bytes)`);
    }
    const size = body.files.reduce((s, f) => s + f.size, 0);
    if (size > this.limitBytes) throw new StoreError('KBISECT_ERR_STORE_FULL', `artifact of ${size} bytes is larger than the store (${this.limitBytes} bytes)`);
    await this.evict(pinned, size);
    if ((await this.totalSize()) + size > this.limitBytes) throw new StoreError('KBISECT_ERR_STORE_FULL', `no room for ${size} bytes: the rest of the store is pinned by running bisections`);
    const manifest: Manifest = { key, files: body.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })), size, createdAt: new Date().toISOString() };
    const tmp = join(this.staging, `.commit-${key}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp);
    for (const f of body.files) await rename(join(staging, f.name), join(tmp, f.name));
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest));
    try {
      await rename(tmp, this.dir(key));
    } catch {
      // Another commit of the same key won: keep its files.
      await rm(tmp, { recursive: true, force: true });
    }
    await rm(staging, { recursive: true, force: true });
    return (await this.manifest(key)) ?? manifest;
  }

  /** Hashes every file of the artifact again; throws when one is missing, truncated or altered. */
  async verify(key: string): Promise<Manifest> {
    const manifest = await this.manifest(key);
    if (!manifest) throw new StoreError('KBISECT_ERR_STORE_NOT_FOUND', `artifact ${key} is not here`);
    for (const f of manifest.files) {
      const got = await digestFile(this.filePath(key, f.name)).catch(() => undefined);
      if (!got || got.sha256 !== f.sha256 || got.size !== f.size) throw new ArtifactIntegrityError(`${key.slice(0, 12)}/${f.name}: ${got ? `sha256 ${got.sha256} (${got.size} bytes)` : 'missing'}, the manifest says ${f.sha256} (${f.size} bytes)`);
    }
    return manifest;
  }

  async remove(key: string): Promise<void> {
    await rm(this.dir(key), { recursive: true, force: true });
  }

  private async entries(): Promise<{ key: string; size: number; used: number }[]> {
    const out: { key: string; size: number; used: number }[] = [];
    for (const key of await readdir(join(this.root, 'objects')).catch(() => [] as string[])) {
      if (!isArtifactKey(key)) continue;
      const m = await this.manifest(key, { touch: false });
      const used = (await stat(join(this.dir(key), 'manifest.json')).catch(() => undefined))?.mtimeMs ?? 0;
      out.push({ key, size: m?.size ?? 0, used });
    }
    return out;
  }

  async totalSize(): Promise<number> {
    return (await this.entries()).reduce((s, e) => s + e.size, 0);
  }

  /** Evicts least recently used, unpinned artifacts until `incoming` more bytes fit; the keys it removed. */
  async evict(pinned: ReadonlySet<string>, incoming = 0): Promise<string[]> {
    const entries = await this.entries();
    let total = entries.reduce((s, e) => s + e.size, 0);
    const evicted: string[] = [];
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total + incoming <= this.limitBytes) break;
      if (pinned.has(e.key)) continue;
      await this.remove(e.key);
      total -= e.size;
      evicted.push(e.key);
    }
    return evicted;
  }
}
