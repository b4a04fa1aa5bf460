import type { CommitGraph } from '@kbisect/bisect';
import type { Redis } from 'ioredis';
import { FOLD_VERSION, type BisectionFold } from './bisection-fold.js';
import type { Keys } from './keys.js';

/**
 * A fold kept in Redis (`<ns>:b:<id>:fold`), so a new API or worker process
 * picks a bisection up where the last one left it instead of replaying its
 * whole log. Without the graph (stored once, under its own key). A snapshot
 * of another FOLD_VERSION, or one that does not parse, is ignored: the
 * caller replays from the start. Snapshots are only ever a prefix of the
 * log, so an older one written last (two processes racing) is still right,
 * just less ahead.
 */
export class FoldSnapshots {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async save(id: string, fold: BisectionFold): Promise<void> {
    const { step } = fold;
    const bare = step ? { ...fold, step: { ...step, state: { ...step.state, graph: null } } } : fold;
    await this.redis.set(this.keys.fold(id), JSON.stringify(bare));
  }

  /** The stored fold with `graph` put back, if there is one of this version (and a graph when it needs one). */
  async load(id: string, graphOf: () => Promise<CommitGraph | undefined>): Promise<BisectionFold | undefined> {
    const raw = await this.redis.get(this.keys.fold(id));
    if (raw === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== FOLD_VERSION) return undefined;
    // Our own write, of this very version: trusted as the shape it was written in.
    const fold = parsed as BisectionFold;
    if (!fold.step) return fold;
    const graph = await graphOf();
    if (!graph) return undefined;
    return { ...fold, step: { ...fold.step, state: { ...fold.step.state, graph } } };
  }
}
