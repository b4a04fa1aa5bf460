import type { Redis } from 'ioredis';
import type { Tree } from './tree-schema.js';

export class TreeNotFoundError extends Error {
  readonly code = 'KBISECT_ERR_NOT_FOUND';
  constructor(name: string) {
    super(`no tree ${name}`);
    this.name = 'TreeNotFoundError';
  }
}

/**
 * Registered trees in Redis, one hash `<ns>:trees` (name → tree JSON), read
 * by the API when a submission names a tree. Registration has checked each
 * tree already; what is read back is trusted as written.
 */
export class TreeStore {
  private readonly key: string;
  constructor(private readonly redis: Redis, namespace: string) {
    this.key = `${namespace}:trees`;
  }

  /** Adds or replaces a tree; bisections already submitted keep the repo they were given. */
  async register(tree: Tree): Promise<{ readonly created: boolean; readonly tree: Tree }> {
    const created = (await this.redis.hset(this.key, tree.name, JSON.stringify(tree))) === 1;
    return { created, tree };
  }

  async get(name: string): Promise<Tree | undefined> {
    const json = await this.redis.hget(this.key, name);
    return json === null ? undefined : (JSON.parse(json) as Tree);
  }

  async list(): Promise<Tree[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.keys(all).sort().map((name) => JSON.parse(all[name]!) as Tree);
  }

  async remove(name: string): Promise<void> {
    if ((await this.redis.hdel(this.key, name)) === 0) throw new TreeNotFoundError(name);
  }
}
