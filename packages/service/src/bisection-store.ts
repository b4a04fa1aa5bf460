import { randomUUID } from 'node:crypto';
import { validateGraph, type CommitGraph } from '@kbisect/bisect';
import type { Redis } from 'ioredis';
import { toView, type BisectionView } from './bisection-view.js';
import { EventLog } from './event-log.js';
import { keysFor, type Keys } from './keys.js';
import type { LogEvent, StoredLogEvent } from './log-event.js';
import { replay, type Replayed } from './replay.js';
import type { BisectionRequest } from './request-schema.js';

/** Cap on stored test output per step: evidence, not an archive. */
const EVIDENCE_LIMIT = 256 * 1024;
/** Bisections whose replayed state a process keeps. */
const REPLAY_CACHE = 500;

export interface ListedBisection {
  readonly id: string;
  readonly status: string;
  readonly repo: string;
  readonly createdAt: string;
  readonly by: string;
}

function parseCursor(cursor: string | undefined): { score: number; id: string } | undefined {
  if (!cursor) return undefined;
  const at = cursor.indexOf(':');
  return { score: Number(cursor.slice(0, at)), id: cursor.slice(at + 1) };
}

export interface Loaded {
  readonly log: readonly StoredLogEvent[];
  readonly replayed: Replayed;
}

/** Bisections in Redis: the event log, the commit graph, and a small summary hash for listing. */
export class BisectionStore {
  readonly keys: Keys;
  readonly log: EventLog;

  constructor(readonly redis: Redis, namespace: string) {
    this.keys = keysFor(namespace);
    this.log = new EventLog(redis, this.keys);
  }

  async create(request: BisectionRequest, by: string, now: Date): Promise<string> {
    const id = randomUUID();
    const event: LogEvent = { type: 'created', at: now.toISOString(), by, request };
    await this.log.appendOnce(id, 'created', event);
    await this.redis
      .multi()
      .hset(this.keys.meta(id), { status: 'queued', repo: request.repo, createdAt: event.at, by, priority: String(request.options?.priority ?? 50) })
      .zadd(this.keys.index, now.getTime(), id)
      .exec();
    return id;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.meta(id))) === 1;
  }

  async setStatus(id: string, status: string): Promise<void> {
    await this.redis.hset(this.keys.meta(id), 'status', status);
  }

  /**
   * Newest first. The cursor is `<createdAt ms>:<id>` of the last item seen:
   * ids break ties between bisections created in the same millisecond, so no
   * page repeats or skips one.
   */
  async list(opts: { status?: string; limit: number; after?: string }): Promise<{ items: ListedBisection[]; next?: string }> {
    const items: ListedBisection[] = [];
    let cursor = parseCursor(opts.after);
    const pageSize = Math.max(opts.limit * 2, 50);
    for (let guard = 0; guard < 1000 && items.length < opts.limit; guard++) {
      const max = cursor ? String(cursor.score) : '+inf';
      const page = await this.redis.zrevrangebyscore(this.keys.index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, pageSize);
      let advanced = false;
      for (let i = 0; i < page.length && items.length < opts.limit; i += 2) {
        const id = page[i]!;
        const score = Number(page[i + 1]);
        // Same score as the cursor: only members after it in reverse order are new.
        if (cursor && score === cursor.score && id >= cursor.id) continue;
        cursor = { score, id };
        advanced = true;
        const meta = await this.redis.hgetall(this.keys.meta(id));
        if (opts.status && meta.status !== opts.status) continue;
        items.push({ id, status: meta.status ?? 'queued', repo: meta.repo ?? '', createdAt: meta.createdAt ?? '', by: meta.by ?? '' });
      }
      if (!advanced || page.length < pageSize) {
        if (items.length < opts.limit) cursor = undefined;
        break;
      }
    }
    return { items, ...(items.length === opts.limit && cursor ? { next: `${cursor.score}:${cursor.id}` } : {}) };
  }

  async saveGraph(id: string, graph: CommitGraph): Promise<void> {
    await this.redis.set(this.keys.graph(id), JSON.stringify(graph));
  }

  async loadGraph(id: string): Promise<CommitGraph | undefined> {
    const raw = await this.redis.get(this.keys.graph(id));
    if (raw === null) return undefined;
    const graph = JSON.parse(raw) as CommitGraph;
    const problems = validateGraph(graph);
    if (problems.length > 0) throw new Error(`stored graph of ${id} is invalid: ${problems[0]}`);
    return graph;
  }

  // Replaying a bisection costs an engine decision per event; a log only
  // grows, so a replay is reused until its length changes (XLEN is O(1)).
  private readonly replays = new Map<string, { length: number; loaded: Loaded }>();
  private readonly graphs = new Map<string, CommitGraph>();

  async load(id: string): Promise<Loaded> {
    const length = await this.redis.xlen(this.keys.log(id));
    const hit = this.replays.get(id);
    if (hit && hit.length === length) {
      this.replays.delete(id);
      this.replays.set(id, hit);
      return hit.loaded;
    }
    const log = await this.log.read(id);
    let graph = this.graphs.get(id);
    if (!graph) {
      graph = await this.loadGraph(id);
      // A stored graph never changes once written.
      if (graph) this.graphs.set(id, graph);
    }
    const loaded = { log, replayed: replay(graph, log.map((s) => s.event)) };
    this.replays.set(id, { length: log.length, loaded });
    for (const key of this.replays.keys()) {
      if (this.replays.size <= REPLAY_CACHE) break;
      this.replays.delete(key);
      this.graphs.delete(key);
    }
    return loaded;
  }

  async view(id: string): Promise<BisectionView> {
    const { log, replayed } = await this.load(id);
    return toView(id, log, replayed);
  }

  async putEvidence(id: string, name: string, text: string): Promise<string> {
    const key = this.keys.evidence(id, name);
    const body = text.length > EVIDENCE_LIMIT ? `${text.slice(0, EVIDENCE_LIMIT / 2)}\n…[truncated]…\n${text.slice(-EVIDENCE_LIMIT / 2)}` : text;
    await this.redis.set(key, body);
    return name;
  }

  async getEvidence(id: string, name: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.evidence(id, name))) ?? undefined;
  }

  async requestCancel(id: string, by: string, reason: string | undefined, now: Date): Promise<void> {
    await this.redis.set(this.keys.cancel(id), '1');
    await this.log.appendOnce(id, 'cancel', { type: 'cancel-requested', at: now.toISOString(), by, ...(reason ? { reason } : {}) });
  }

  async isCancelled(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cancel(id))) === 1;
  }
}
