import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogEvent, StoredLogEvent } from '@kbisect/service';
import type { AppDeps } from './app-deps.js';

/** What each SSE message carries: the log event, plus an ETA on step starts. */
function payload(event: LogEvent, stepDurationsMs: number[]): Record<string, unknown> {
  if (event.type !== 'step-started' || stepDurationsMs.length === 0) return event;
  const sorted = [...stepDurationsMs].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  return { ...event, etaSeconds: Math.round(((event.progress.stepsLeft + 1) * median) / 1000) };
}

/**
 * Streams a bisection's log as SSE. The stream id of each entry is the SSE
 * id, so a client that reconnects with Last-Event-ID resumes exactly after
 * the last event it saw; nothing is buffered server-side per client.
 */
export async function streamEvents(request: FastifyRequest, reply: FastifyReply, deps: AppDeps, id: string, lastEventId: string | undefined): Promise<void> {
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
  let last = lastEventId ?? '0-0';
  const send = (entries: readonly StoredLogEvent[]): boolean => {
    let finished = false;
    for (const { id: entryId, event } of entries) {
      if (event.type === 'verdict' && event.durationMs !== undefined) durations.push(event.durationMs);
      res.write(`id: ${entryId}\nevent: ${event.type}\ndata: ${JSON.stringify(payload(event, durations))}\n\n`);
      last = entryId;
      if (event.type === 'finished') finished = true;
    }
    return finished;
  };
  try {
    // Durations of steps before the resume point still feed the ETA.
    const all = await deps.store.log.read(id);
    for (const e of all) if (compareIds(e.id, last) <= 0 && e.event.type === 'verdict' && e.event.durationMs !== undefined) durations.push(e.event.durationMs);
    let done = send(all.filter((e) => compareIds(e.id, last) > 0));
    while (open && !done) {
      const entries = await deps.store.log.waitFor(blocking, id, last, deps.sseHeartbeatMs ?? 15_000);
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

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}
