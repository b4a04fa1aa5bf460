import { randomUUID } from 'node:crypto';
import type { CommitGraph } from '@kbisect/bisect';
import { redactUrlCredentials } from '@kbisect/git';
import type { Redis } from 'ioredis';
import { applyEntries, emptyFold, runsEngine, type BisectionFold } from './bisection-fold.js';
import { toView, type BisectionView } from './bisection-view.js';
import { ConsoleLog } from './console-log.js';
import { EventLog } from './event-log.js';
import { FoldSnapshots } from './fold-snapshot.js';
import { keysFor, type Keys } from './keys.js';
import type { LimitFill } from './limit-fills.js';
import type { LogEvent } from './log-event.js';
import { OrchestratorFolds, type OrchestratorFoldOptions } from './orchestrator-folds.js';
import { replayedOf, type Replayed } from './replay.js';
import { SEARCH_FIELD, SearchSummaries } from './search-summaries.js';
import { matchesSearch, parseSearchSummary, searchSummaryOf, type SearchSummary } from './search-summary.js';
import { repoLabel } from './repo-label.js';
import type { BisectionRequest } from './request-schema.js';
import type { Grant, SealedFields } from './request-seal.js';
import { isAnswered, type BisectionStatus } from './shared-schemas.js';
import { StatusCounter } from './status-counter.js';
import { lazyStoredGraph, parseStoredGraph } from './stored-graph.js';
import { compareStreamIds, STREAM_START } from './stream-id.js';

/** Cap on stored test output per step: evidence, not an archive. */
const EVIDENCE_LIMIT = 256 * 1024;
/** Bisections whose fold (and rendered view) a process keeps. */
const FOLD_CACHE = 500;
/** Entries a process applies to a fold before it saves the fold to Redis for the next process. */
const SNAPSHOT_AFTER = 20;
/** Bisections a search folds at once when their summaries are missing: enough to overlap round trips, few enough to share Redis. */
const BACKFILL_BATCH = 50;

export interface ListedBisection {
  readonly id: string;
  readonly status: string;
  readonly repo: string;
  readonly createdAt: string;
  readonly by: string;
}

/** Which bisections a page lists; every filter given must match. */
export interface ListOptions {
  readonly status?: string;
  /** Exactly this tree as readers see it (repoLabel: the registered tree's name, else the URL). */
  readonly repo?: string;
  /** Exactly this submitter (token name). */
  readonly by?: string;
  /**
   * Text in the culprit's (or a candidate's) subject, or a sha prefix (matchesSearch): only answered
   * bisections, matched against their search summaries; one without a summary is folded once and its summary stored.
   */
  readonly text?: string;
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly after?: string;
}

function parseCursor(cursor: string | undefined): { score: number; id: string } | undefined {
  if (!cursor) return undefined;
  const at = cursor.indexOf(':');
  return { score: Number(cursor.slice(0, at)), id: cursor.slice(at + 1) };
}

export interface Loaded {
  /** Everything the log said, folded: the request (`created`), the last step started, the verdict events by run, … */
  readonly fold: BisectionFold;
  readonly replayed: Replayed;
}

/** Bisections in Redis: the event log, the commit graph, and a small summary hash for listing (with the search summary). */
export class BisectionStore {
  readonly keys: Keys;
  readonly log: EventLog;
  /** Console lines of lab steps: a stream of their own, never read by load(). */
  readonly console: ConsoleLog;
  private readonly statuses: StatusCounter;
  private readonly snapshots: FoldSnapshots;
  private readonly search: SearchSummaries;
  private readonly orchestrator: OrchestratorFolds | undefined;

  /**
   * `opts.redact`: what a worker's store does to reader-facing texts before storing them (its own paths).
   * `opts.awaitOrchestrator`: the API's store: a big range's engine steps are read from the orchestrator's
   * fold instead of taken on this process's event loop (OrchestratorFolds). @defaultValue every step taken here
   */
  constructor(readonly redis: Redis, namespace: string, opts: { redact?: (text: string) => string; awaitOrchestrator?: OrchestratorFoldOptions } = {}) {
    this.keys = keysFor(namespace);
    this.log = new EventLog(redis, this.keys, opts.redact);
    this.console = new ConsoleLog(redis, this.keys);
    this.statuses = new StatusCounter(redis, this.keys);
    this.snapshots = new FoldSnapshots(redis, this.keys);
    this.search = new SearchSummaries(redis, this.keys);
    this.orchestrator = opts.awaitOrchestrator ? new OrchestratorFolds(this.snapshots, opts.awaitOrchestrator) : undefined;
  }

  /**
   * `opts.id`: an id chosen (and admitted) before; `opts.grant`: what the API vouches for, signed over the id, sender, time and request;
   * `opts.tree`: the registered tree the request's repo came from (shown instead of the repo);
   * `opts.filled`: the request's fields the API wrote from the submitter's limits (a retry leaves them out).
   */
  async create(request: BisectionRequest, by: string, now: Date, opts: { id?: string; tree?: string; grant?: (fields: SealedFields) => Grant; filled?: readonly LimitFill[] } = {}): Promise<string> {
    const id = opts.id ?? randomUUID();
    const at = now.toISOString();
    const grant = opts.grant?.({ id, by, at, request });
    const filled = opts.filled !== undefined && opts.filled.length > 0 ? { filled: [...opts.filled] } : {};
    const event: LogEvent = { type: 'created', at, by, request, ...(grant ? { grant } : {}), ...(opts.tree !== undefined ? { tree: opts.tree } : {}), ...filled };
    await this.log.appendOnce(id, 'created', event);
    await this.redis
      .multi()
      .hset(this.keys.meta(id), { status: 'queued', repo: repoLabel(event), createdAt: event.at, by, priority: String(request.options?.priority ?? 50) })
      .zadd(this.keys.index, now.getTime(), id)
      .sadd(this.keys.byStatus('queued'), id)
      .exec();
    return id;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.meta(id))) === 1;
  }

  async setStatus(id: string, status: BisectionStatus): Promise<void> {
    await this.statuses.set(id, status);
  }

  /** The ids of the bisections with this status now (the orchestrators renew the running ones' artifact pins). */
  async idsWithStatus(status: BisectionStatus): Promise<string[]> {
    return this.statuses.members(status);
  }

  /** Every bisection by status, in O(statuses): /metrics. */
  async countByStatus(): Promise<Record<string, number>> {
    return this.statuses.counts();
  }

  /**
   * Newest first. The cursor is `<createdAt ms>:<id>` of the last item seen:
   * ids break ties between bisections created in the same millisecond, so no
   * page repeats or skips one.
   */
  async list(opts: ListOptions): Promise<{ items: ListedBisection[]; next?: string }> {
    const items: ListedBisection[] = [];
    let cursor = parseCursor(opts.after);
    const { text } = opts;
    // A filtered list may pass over most bisections: read the index in bigger pages then.
    const filtered = opts.status !== undefined || opts.repo !== undefined || opts.by !== undefined || text !== undefined;
    const pageSize = filtered ? 1000 : Math.max(opts.limit * 2, 50);
    const fields = ['status', 'repo', 'createdAt', 'by', ...(text !== undefined ? [SEARCH_FIELD] : [])];
    // Only answered bisections can match a text: a search walks their index (same scores, so the same cursor).
    if (text !== undefined) await this.statuses.ensureAnswered();
    const index = text !== undefined ? this.keys.answered : this.keys.index;
    for (let guard = 0; guard < 1000 && items.length < opts.limit; guard++) {
      const max = cursor ? String(cursor.score) : '+inf';
      const page = await this.redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, pageSize);
      let advanced = false;
      // One round trip for the page's summary hashes, not one per bisection: filters scan thousands.
      const pipeline = this.redis.pipeline();
      for (let i = 0; i < page.length; i += 2) pipeline.hmget(this.keys.meta(page[i]!), ...fields);
      const metas = ((await pipeline.exec()) ?? []).map(([, value]) => (value ?? []) as (string | null)[]);
      const kept = (meta: (string | null)[]): boolean =>
        (!opts.status || meta[0] === opts.status) && (opts.repo === undefined || meta[1] === opts.repo) && (opts.by === undefined || meta[3] === opts.by);
      const summaries = text !== undefined ? await this.searchSummaries(page, metas, kept) : undefined;
      for (let i = 0; i < page.length && items.length < opts.limit; i += 2) {
        const id = page[i]!;
        const score = Number(page[i + 1]);
        // Same score as the cursor: only members after it in reverse order are new.
        if (cursor && score === cursor.score && id >= cursor.id) continue;
        cursor = { score, id };
        advanced = true;
        const meta = metas[i / 2]!;
        if (!kept(meta)) continue;
        if (text !== undefined) {
          const summary = summaries?.get(id);
          if (!summary || !matchesSearch(summary, text)) continue;
        }
        items.push({ id, status: meta[0] ?? 'queued', repo: redactUrlCredentials(meta[1] ?? ''), createdAt: meta[2] ?? '', by: meta[3] ?? '' });
      }
      if (!advanced || page.length < pageSize) {
        if (items.length < opts.limit) cursor = undefined;
        break;
      }
    }
    return { items, ...(items.length === opts.limit && cursor ? { next: `${cursor.score}:${cursor.id}` } : {}) };
  }

  /**
   * The search summaries of a page's answered bisections that the cheap filters kept: stored ones as read
   * (meta[4]), the others (stored before summaries existed, or dropped by an append) folded now, a few
   * at a time, and stored for the next search.
   */
  private async searchSummaries(page: readonly string[], metas: readonly (string | null)[][], kept: (meta: (string | null)[]) => boolean): Promise<Map<string, SearchSummary>> {
    const out = new Map<string, SearchSummary>();
    const missing: string[] = [];
    for (let i = 0; i < page.length; i += 2) {
      const meta = metas[i / 2]!;
      if (!kept(meta) || !isAnswered(meta[0] ?? '')) continue;
      const summary = parseSearchSummary(meta[4]);
      if (summary) out.set(page[i]!, summary);
      else missing.push(page[i]!);
    }
    for (let at = 0; at < missing.length; at += BACKFILL_BATCH) {
      await Promise.all(missing.slice(at, at + BACKFILL_BATCH).map(async (id) => void out.set(id, await this.refreshSearch(id))));
    }
    return out;
  }

  /**
   * Folds the bisection and stores its search summary (unless an entry landed meanwhile: then the next
   * search folds again). Called where a result or a judgement of it is recorded, and by a search that
   * finds no summary.
   */
  async refreshSearch(id: string): Promise<SearchSummary> {
    const fold = await this.fold(id);
    const summary = searchSummaryOf(toView(id, fold));
    if (fold.lastId !== STREAM_START) await this.search.save(id, fold.lastId, summary);
    return summary;
  }

  async saveGraph(id: string, graph: CommitGraph): Promise<void> {
    await this.redis.set(this.keys.graph(id), JSON.stringify(graph));
  }

  async loadGraph(id: string): Promise<CommitGraph | undefined> {
    const raw = await this.redis.get(this.keys.graph(id));
    return raw === null ? undefined : parseStoredGraph(id, raw);
  }

  /** The stored graph, parsed when first read: what a fold that may never run the engine here carries. */
  private async lazyGraph(id: string): Promise<CommitGraph | undefined> {
    const raw = await this.redis.get(this.keys.graph(id));
    return raw === null ? undefined : lazyStoredGraph(id, raw);
  }

  // Folds kept in this process, least recently used first. A load applies
  // only the entries after the fold's last id; a view is rendered once per
  // change of its viewId (console lines and other progress never move it).
  private readonly folds = new Map<string, BisectionFold>();
  private readonly views = new Map<string, { readonly viewId: string; readonly json: string }>();
  /** Entries applied since the fold was last saved to Redis, per bisection. */
  private readonly unsaved = new Map<string, number>();

  /**
   * The bisection folded up to the newest entry of its log. Safe under
   * concurrent appends (XRANGE is a consistent prefix) and concurrent loads
   * (entries at or before the cached fold's last id are skipped).
   */
  async load(id: string): Promise<Loaded> {
    const fold = await this.fold(id);
    return { fold, replayed: replayedOf(fold) };
  }

  private async fold(id: string): Promise<BisectionFold> {
    let known = this.folds.get(id) ?? (await this.snapshots.load(id, () => this.lazyGraph(id))) ?? emptyFold();
    let entries = await this.log.read(id, known.lastId === STREAM_START ? undefined : known.lastId);
    const target = this.orchestrator?.target(known, entries);
    if (target !== undefined) {
      const graph = known.step?.state.graph;
      const theirs = await this.orchestrator!.covering(id, target, async () => graph ?? (await this.lazyGraph(id)));
      if (theirs) {
        known = theirs;
        entries = entries.filter((e) => compareStreamIds(e.id, theirs.lastId) > 0);
      }
    }
    // The graph matters only until the engine starts; the orchestrator stores it before `initialized`.
    const needsGraph = !known.step && (known.initialized !== undefined || entries.some((e) => e.event.type === 'initialized'));
    const graph = needsGraph ? await this.loadGraph(id) : undefined;
    // Another load of this id may have advanced the fold meanwhile (applyEntries skips what it has), or be behind the orchestrator's.
    const cached = this.folds.get(id);
    const latest = cached && compareStreamIds(cached.lastId, known.lastId) > 0 ? cached : known;
    const folded = entries.length === 0 ? latest : applyEntries(latest, graph, entries);
    this.touch(id, folded);
    const unsaved = (this.unsaved.get(id) ?? 0) + entries.length;
    // After every engine step too: each costs O(range) (seconds at the range cap when it starts), and the
    // orchestrator's fold then spares the API that cost (OrchestratorFolds) and every new process a replay.
    const started = !known.step && folded.step !== undefined;
    const stepped = entries.some((e) => runsEngine(e.event) && compareStreamIds(e.id, latest.lastId) > 0);
    if ((unsaved >= SNAPSHOT_AFTER || started || stepped) && folded.lastId !== STREAM_START) {
      this.unsaved.delete(id);
      await this.snapshots.save(id, folded);
    } else if (this.folds.has(id)) {
      this.unsaved.set(id, unsaved);
    }
    return folded;
  }

  private touch(id: string, fold: BisectionFold): void {
    // A bisection that does not exist has an empty log: nothing to keep.
    if (fold.lastId === STREAM_START) return;
    this.folds.delete(id);
    this.folds.set(id, fold);
    for (const key of this.folds.keys()) {
      if (this.folds.size <= FOLD_CACHE) break;
      this.folds.delete(key);
      this.views.delete(key);
      this.unsaved.delete(key);
    }
  }

  async view(id: string): Promise<BisectionView> {
    const { fold } = await this.load(id);
    return toView(id, fold);
  }

  /**
   * The view as JSON, rendered once per change of the fold's viewId; undefined
   * when the bisection has no log (it does not exist).
   */
  async viewJson(id: string): Promise<string | undefined> {
    const fold = await this.fold(id);
    if (fold.lastId === STREAM_START) return undefined;
    const hit = this.views.get(id);
    if (hit && hit.viewId === fold.viewId) return hit.json;
    const json = JSON.stringify(toView(id, fold));
    if (this.folds.has(id)) this.views.set(id, { viewId: fold.viewId, json });
    return json;
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
