import type { FastifyReply, FastifyRequest } from 'fastify';
import { STREAM_START, advance, repoLabel, formatCursor, readStreams, type LogEvent, type StreamCursor, type StreamEntry } from '@kbisect/service';
import type { AppDeps } from './app-deps.js';
import { SECURITY_HEADERS } from './security-headers.js';
import type { StreamHub } from './sse-hub.js';

/** What each SSE message carries: the log event, plus an ETA on step starts. */
function payload(event: LogEvent, stepDurationsMs: number[]): Record<string, unknown> {
  // The repo as readers see it everywhere: the tree's name, never the path or credentials behind it.
  if (event.type === 'created') {
    const { grant: _grant, ...shown } = event;
    return { ...shown, request: { ...event.request, repo: repoLabel(event) } };
  }
  if (event.type !== 'step-started' || stepDurationsMs.length === 0) return event;
  const sorted = [...stepDurationsMs].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  return { ...event, etaSeconds: Math.round(((event.progress.stepsLeft + 1) * median) / 1000) };
}

/**
 * The JSON of events sent as they are (all but step starts with an ETA),
 * once per event object: the shared reader hands the same entries to every
 * stream of a bisection, so 500 viewers cost one JSON.stringify, not 500.
 */
const serialized = new WeakMap<LogEvent, string>();
function dataOf(event: LogEvent, stepDurationsMs: number[]): string {
  if (event.type === 'step-started' && stepDurationsMs.length > 0) return JSON.stringify(payload(event, stepDurationsMs));
  let json = serialized.get(event);
  if (json === undefined) {
    json = JSON.stringify(event.type === 'created' ? payload(event, stepDurationsMs) : event);
    serialized.set(event, json);
  }
  return json;
}

/**
 * Streams a bisection's log and its console stream as one SSE stream, in
 * the order the entries were appended. Each message's id is the cursor
 * `<log id>.<console id>` after it (see bisection-streams.ts), so a client
 * that reconnects with Last-Event-ID resumes each stream exactly after the
 * last entry it saw. The backlog is read on the shared client; new entries
 * come from the bisection's one shared reader (sse-hub.ts). `release` gives
 * the stream's quota slot back when the stream ends.
 */
export async function streamEvents(request: FastifyRequest, reply: FastifyReply, deps: AppDeps, hub: StreamHub, id: string, from: StreamCursor, release: () => void): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const durations: number[] = [];
  let leave: (() => void) | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    leave?.();
    release();
    if (!res.writableEnded) res.end();
  };
  request.raw.on('close', end);
  const listener = {
    cursor: from,
    deliver(entries: readonly StreamEntry[]): void {
      let finished = false;
      for (const entry of entries) {
        const { event } = entry;
        if (event.type === 'verdict' && event.durationMs !== undefined) durations.push(event.durationMs);
        listener.cursor = advance(listener.cursor, entry);
        if (!ended) res.write(`id: ${formatCursor(listener.cursor)}\nevent: ${event.type}\ndata: ${dataOf(event, durations)}\n\n`);
        if (event.type === 'finished') finished = true;
      }
      if (finished) end();
    },
    heartbeat(): void {
      if (!ended) res.write(': heartbeat\n\n');
    },
    fail(err: unknown): void {
      if (!ended) request.log.error({ err }, 'event stream failed');
      end();
    },
  };
  try {
    // Durations of steps before the resume point still feed the ETA (the console stream has none).
    if (from.log !== STREAM_START) {
      for (const e of await deps.store.log.read(id, undefined, from.log)) if (e.event.type === 'verdict' && e.event.durationMs !== undefined) durations.push(e.event.durationMs);
    }
    listener.deliver(await readStreams(deps.redis, deps.store.keys, id, listener.cursor));
    if (!ended) leave = hub.join(id, listener);
  } catch (err) {
    listener.fail(err);
  }
}
