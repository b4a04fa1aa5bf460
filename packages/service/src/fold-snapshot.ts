import type { CommitGraph } from '@kbisect/bisect';
import type { Redis } from 'ioredis';
import { FOLD_VERSION, type BisectionFold } from './bisection-fold.js';
import type { Keys } from './keys.js';
import { compareStreamIds } from './stream-id.js';

// Writes the snapshot unless the stored one is as far along already: two processes racing never move it back.
// A snapshot is `<lastId>\n<fold JSON>`; stream ids compare as numbers (ms, then sequence).
const SAVE_IF_AHEAD = `
local head = redis.call('GETRANGE', KEYS[1], 0, 63)
local ms, seq = string.match(head, '^(%d+)%-(%d+)\\n')
if ms then
  local nms, nseq = string.match(ARGV[1], '^(%d+)%-(%d+)$')
  ms, seq, nms, nseq = tonumber(ms), tonumber(seq), tonumber(nms), tonumber(nseq)
  if ms > nms or (ms == nms and seq > nseq) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\\n' .. ARGV[2])
return 1`;

/**
 * A fold kept in Redis (`<ns>:b:<id>:fold`), so a new API or worker process
 * picks a bisection up where the last one left it instead of replaying its
 * whole log, and so the API can take the orchestrator's fold of a big range
 * instead of running the engine itself. Without the graph (stored once,
 * under its own key). Stored as `<lastId>\n<fold JSON>`: how far it is can
 * be read without parsing it. A snapshot of another FOLD_VERSION, or one
 * that does not parse, is ignored: the caller replays from the start.
 * Snapshots are only ever a prefix of the log, and a save never replaces
 * one further along.
 */
export class FoldSnapshots {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async save(id: string, fold: BisectionFold): Promise<void> {
    const { step } = fold;
    const bare = step ? { ...fold, step: { ...step, state: { ...step.state, graph: null } } } : fold;
    await this.redis.eval(SAVE_IF_AHEAD, 1, this.keys.fold(id), fold.lastId, JSON.stringify(bare));
  }

  /** The stream id of the last entry the stored fold applied, read without the fold itself; undefined when none is stored. */
  async lastIdOf(id: string): Promise<string | undefined> {
    const head = await this.redis.getrange(this.keys.fold(id), 0, 63);
    return /^(\d+-\d+)\n/.exec(head)?.[1];
  }

  /** The stored fold with `graph` put back, if there is one of this version (and a graph when it needs one). */
  async load(id: string, graphOf: () => Promise<CommitGraph | undefined>): Promise<BisectionFold | undefined> {
    const raw = await this.redis.get(this.keys.fold(id));
    if (raw === null) return undefined;
    // A snapshot written before the `<lastId>` line (an older version) has none: replayed from the start.
    const newline = raw.indexOf('\n');
    if (newline < 0) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.slice(newline + 1));
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

/** Whether a stored fold that applied up to `lastId` covers the entry `target`. */
export function covers(lastId: string | undefined, target: string): boolean {
  return lastId !== undefined && compareStreamIds(lastId, target) >= 0;
}
