/**
 * bench/big-range-orchestrator — the worker side of bench/api-big-range, in
 * a process of its own so its CPU is not on the API's event loop.
 *
 * Input (IPC from the parent): { type: 'advance', namespace, id, steps,
 *   seconds, eventMs } starts appending to bisection `id` as workers do —
 *   build progress every `eventMs`, the steps' starts and verdicts spread
 *   over `seconds` — and, after each verdict, folding it as the orchestrator's
 *   pass does (BisectionStore.load: the engine's step, the fold snapshot);
 *   { type: 'stop' } stops it.
 * Output (IPC): { type: 'ready' } once it has loaded the bisection (the
 *   snapshot and the graph, seconds at the cap) and starts appending;
 *   { type: 'stopped', appended, foldMs } — the events appended and how long
 *   each of its folds of a verdict took.
 * Redis at REDIS_URL (else 127.0.0.1:6379).
 */
import { fakeSha } from '@kbisect/bisect/testing';
import { BisectionStore, connectRedis, type LogEvent } from '@kbisect/service';
import { REDIS_URL } from '../test/support/redis-namespace.js';

interface Advance { type: 'advance'; namespace: string; id: string; steps: LogEvent[][]; seconds: number; eventMs: number }
type Message = Advance | { type: 'stop' };

const redis = connectRedis(REDIS_URL);
let stopping = false;
let running: Promise<{ appended: number; foldMs: number[] }> | undefined;

async function advance(m: Advance): Promise<{ appended: number; foldMs: number[] }> {
  // A new store per bisection, as a restarted orchestrator: the first fold loads the snapshot and the graph.
  const store = new BisectionStore(redis, m.namespace);
  await store.load(m.id);
  process.send?.({ type: 'ready' });
  const every = Math.max(2, Math.floor((m.seconds * 1000) / m.eventMs / m.steps.length));
  const foldMs: number[] = [];
  let appended = 0;
  for (let tick = 0; !stopping; tick++) {
    const step = m.steps[Math.floor(tick / every)];
    if (step && tick % every === 0) await store.log.append(m.id, step[0]!);
    else if (step && tick % every === every - 1) {
      await store.log.appendOnce(m.id, `verdict:${tick}`, step[1]!);
      const t0 = performance.now();
      await store.load(m.id);
      foldMs.push(performance.now() - t0);
    } else await store.log.append(m.id, { type: 'step-progress', at: new Date().toISOString(), commit: fakeSha(tick), phase: 'build', message: `CC mm/file-${tick}.o` });
    appended++;
    await new Promise((r) => setTimeout(r, m.eventMs));
  }
  return { appended, foldMs };
}

process.on('message', (m: Message) => {
  if (m.type === 'advance') {
    stopping = false;
    running = advance(m);
  } else {
    stopping = true;
    void running?.then((r) => process.send?.({ type: 'stopped', ...r }));
  }
});
process.on('disconnect', () => {
  redis.disconnect();
  process.exit(0);
});
