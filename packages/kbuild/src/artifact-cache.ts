import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ArtifactKey {
  /** `git rev-parse <commit>^{tree}`: commits with the same tree share artifacts. */
  readonly tree: string;
  /** Hash of what the config is made from (base recipe + fragments + required symbols). */
  readonly configInput: string;
  readonly toolchain: string;
  /** Fixups applied, in order (they change the tree that is built). */
  readonly fixups: readonly string[];
  /** A commit reverted on top (verifying a culprit): a different kernel from the same tree. */
  readonly revert?: string;
}

export interface CachedBuild {
  /** The artifact key (keyOf): also the artifact's name in the HTTP artifact store. */
  readonly key: string;
  readonly dir: string;
  readonly bzImage: string;
  readonly config: string;
  readonly systemMap: string;
  readonly log: string;
  /** Present when the config builds modules. */
  readonly modules?: string;
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * Built kernels by content: (tree, config input, toolchain, fixups) → files.
 * A commit, or any other commit with the same tree, is never built twice.
 * Entries are written to a temporary name and renamed into place; the cache
 * is kept under `limitBytes` by evicting the least recently used.
 */
export class ArtifactCache {
  constructor(private readonly root: string, private readonly limitBytes: number) {}

  static keyOf(k: ArtifactKey): string {
    return createHash('sha256').update(JSON.stringify([k.tree, k.configInput, k.toolchain, k.fixups, ...(k.revert ? [k.revert] : [])])).digest('hex');
  }

  async get(key: string): Promise<CachedBuild | undefined> {
    const dir = join(this.root, key);
    try {
      const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
      const now = new Date();
      await utimes(join(dir, 'meta.json'), now, now);
      const modules = join(dir, 'modules.tar.gz');
      const hasModules = await stat(modules).then(() => true, () => false);
      return { key, dir, bzImage: join(dir, 'bzImage'), config: join(dir, 'config'), systemMap: join(dir, 'System.map'), log: join(dir, 'build.log'), meta, ...(hasModules ? { modules } : {}) };
    } catch {
      return undefined;
    }
  }

  async put(key: string, files: { bzImage: string; config: string; systemMap: string; log: string }, meta: Record<string, unknown>, modules?: string): Promise<CachedBuild> {
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `.tmp-${key}-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    await cp(files.bzImage, join(tmp, 'bzImage'));
    await cp(files.config, join(tmp, 'config'));
    await cp(files.systemMap, join(tmp, 'System.map'));
    await cp(files.log, join(tmp, 'build.log'));
    if (modules) await cp(modules, join(tmp, 'modules.tar.gz'));
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
    try {
      await rename(tmp, join(this.root, key));
    } catch {
      await rm(tmp, { recursive: true, force: true });
    }
    await this.evict();
    return (await this.get(key))!;
  }

  /** Drops least recently used entries until the cache fits its limit. */
  async evict(): Promise<string[]> {
    const entries: { key: string; size: number; used: number }[] = [];
    for (const key of await readdir(this.root).catch(() => [] as string[])) {
      if (key.startsWith('.')) continue;
      const dir = join(this.root, key);
      let size = 0;
      for (const f of await readdir(dir).catch(() => [] as string[])) size += (await stat(join(dir, f))).size;
      const used = (await stat(join(dir, 'meta.json')).catch(() => undefined))?.mtimeMs ?? 0;
      entries.push({ key, size, used });
    }
    let total = entries.reduce((s, e) => s + e.size, 0);
    const evicted: string[] = [];
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.limitBytes) break;
      await rm(join(this.root, e.key), { recursive: true, force: true });
      total -= e.size;
      evicted.push(e.key);
    }
    return evicted;
  }
}
