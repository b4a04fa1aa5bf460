import type { FastifyReply, FastifyRequest } from 'fastify';
import { STREAM_START, advance, repoLabel, formatCursor, readStreams, waitStreams, type LogEvent, type StreamCursor, type StreamEntry } from '@kbisect/service';
import type { AppDeps } from './app-deps.js';

/** What each SSE message carries: the log event, plus an ETA on step starts. */
function payload(event: LogEvent, stepDurationsMs: number[]): Record<string, unknown> {
  // The repo as readers see it everywhere: the tree's name, never the path or credentials behind it.
  if (event.type === 'created') return { ...event, request: { ...event.request, repo: repoLabel(event) } };
  if (event.type !== 'step-started' || stepDurationsMs.length === 0) return event;
  const sorted = [...stepDurationsMs].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  return { ...event, etaSeconds: Math.round(((event.progress.stepsLeft + 1) * median) / 1000) };
}

/**
 * Streams a bisection's log and its console stream as one SSE stream, in
 * the order the entries were appended. Each message's id is the cursor
 * `<log id>.<console id>` after it (see bisection-streams.ts), so a client
 * that reconnects with Last-Event-ID resumes each stream exactly after the
 * last entry it saw; nothing is buffered server-side per client.
 */
export async function streamEvents(request: FastifyRequest, reply: FastifyReply, deps: AppDeps, id: string, from: StreamCursor): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let open = true;
  const blocking = deps.redis.duplicate();
  request.raw.on('close', () => {
    open = false;
    blocking.disconnect();
  });
  const durations: number[] = [];
  let cursor = from;
  const send = (entries: readonly StreamEntry[]): boolean => {
    let finished = false;
    for (const entry of entries) {
      const { event } = entry;
      if (event.type === 'verdict' && event.durationMs !== undefined) durations.push(event.durationMs);
      cursor = advance(cursor, entry);
      res.write(`id: ${formatCursor(cursor)}\nevent: ${event.type}\ndata: ${JSON.stringify(payload(event, durations))}\n\n`);
      if (event.type === 'finished') finished = true;
    }
    return finished;
  };
  try {
    // Durations of steps before the resume point still feed the ETA (the console stream has none).
    if (cursor.log !== STREAM_START) {
      for (const e of await deps.store.log.read(id, undefined, cursor.log)) if (e.event.type === 'verdict' && e.event.durationMs !== undefined) durations.push(e.event.durationMs);
    }
    let done = send(await readStreams(deps.redis, deps.store.keys, id, cursor));
    while (open && !done) {
      const entries = await waitStreams(blocking, deps.store.keys, id, cursor, deps.sseHeartbeatMs ?? 15_000);
      if (!open) break;
      if (entries.length === 0) res.write(': heartbeat\n\n');
      else done = send(entries);
    }
  } catch (err) {
    if (open) request.log.error({ err }, 'event stream failed');
  } finally {
    blocking.disconnect();
    if (!res.writableEnded) res.end();
  }
}
