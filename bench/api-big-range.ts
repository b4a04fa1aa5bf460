/**
 * bench/api-big-range — does a bisection at the range cap stall the API?
 *
 * Input: --commits N in the big bisection's range (default 200000, the
 *   order of the default cap), --seconds S per measurement (default 5),
 *   --concurrency C clients (default 16), --streams K SSE streams for the
 *   last part (default 500), --event-ms M between appended events (default
 *   20: build progress, with the steps' starts and verdicts spread over each
 *   measurement), --merges (a merge-heavy range, 20 % forks and 20 % merges,
 *   instead of a linear one).
 * Output, in one run (after a 2 s warm-up of /healthz), each line with req/s, median and p99 latency, the
 *   p99's ratio to the baseline's, and the API process's event-loop delay
 *   (p99 and max: how long it was blocked); each measurement on a new big
 *   bisection (created, graph stored, initialized, folded once by the
 *   "orchestrator") that advances meanwhile, so every window holds verdicts:
 *   a second process (bench/big-range-orchestrator.ts) appends events as
 *   workers do and folds each verdict as the orchestrator's pass does;
 *   1. GET /healthz with nothing else going on (the baseline), then the
 *      orchestrator's first fold and the API's first GET of a big one;
 *   2. GET /healthz while a big bisection advances;
 *   3. GET /bisections/:id of the big bisection while it advances, then
 *      /healthz and that GET at once (half the clients each), and the first
 *      read of it by a new API process (its stored fold and graph);
 *   4. GET /healthz with K SSE streams open on a big bisection while it
 *      advances, and the Redis clients the API holds for them (CLIENT LIST).
 * Redis at REDIS_URL (else 127.0.0.1:6379) under a throwaway namespace. The
 * verdicts are computed before the measurements.
 */
import { fork } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from '@kbisect/api';
import { BisectionStore, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../test/support/redis-namespace.js';
import { bigRange } from './big-range.js';
import { numberFlag } from './flags.js';
import { runLoad, type LoadResult } from './latency.js';
import { median } from './median.js';

const commits = numberFlag('commits', 200_000);
const seconds = numberFlag('seconds', 5);
const concurrency = numberFlag('concurrency', 16);
const streams = numberFlag('streams', 500);
const eventMs = numberFlag('event-ms', 20);
const merges = process.argv.includes('--merges');

const ns = uniqueNamespace('bench-big');
const readerName = `${ns}-sse`;
const redis = connectRedis(REDIS_URL);
// As startApi makes it: a big range's engine steps are the orchestrator's.
const store = new BisectionStore(redis, ns, { awaitOrchestrator: {} });
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const token = 'bench-token';
const app = await buildApp(
  {
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, sseReaderName: readerName, sseTotalStreams: streams + 10,
    tokens: new TokenRegistry({ tokens: [{ name: 'bench', role: 'admin', sha256: hashToken(token), limits: { sseStreams: streams + 10 } }] }),
    allowCommandProbe: true, bodyLimit: 65536, now: () => new Date(), enqueueOrchestrate: async () => undefined,
  },
  { logger: pino({ level: 'silent' }) },
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });

// The big range and its steps' events, computed up front.
const { graph, good, bad, steps } = bigRange(commits, merges ? 'merge-heavy' : 'linear');
const at = (): string => new Date().toISOString();
const headers = { authorization: `Bearer ${token}` };
console.log(`kbisect API, ${graph.commits.length}-commit ${merges ? 'merge-heavy' : 'linear'} bisections (${steps.length} steps to the culprit), ${concurrency} clients, ${seconds}s per measurement; each measurement while one advances`);

/**
 * A new big bisection, as the API and the orchestrator leave it: created,
 * graph stored, initialized, and folded once by the orchestrator (another
 * process: it starts the engine and saves the fold snapshot).
 */
async function seed(report: boolean): Promise<string> {
  const id = await store.create({ repo: '/srv/linux', good: [good], bad, probe: { type: 'command', command: 'true' } }, 'bench', new Date());
  const t0 = performance.now();
  await store.saveGraph(id, graph);
  await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: at(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  const t1 = performance.now();
  await new BisectionStore(redis, ns).load(id);
  const t2 = performance.now();
  await (await fetch(`${url}/api/v1/bisections/${id}`, { headers })).arrayBuffer();
  if (report) {
    console.log(`graph stored in ${(t1 - t0).toFixed(0)} ms; the orchestrator's first fold (engine started, snapshot saved; a worker's time) ${(t2 - t1).toFixed(0)} ms;`);
    console.log(`the API's first GET of it (its stored fold and graph) ${(performance.now() - t2).toFixed(0)} ms`);
  }
  return id;
}

// The workers' side: appends and the orchestrator's folds, in a process of its own.
const orchestrator = fork(new URL('./big-range-orchestrator.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });

/** Starts appending to `id` as workers would, the orchestrator folding each verdict, for about one measurement; resolves once it appends. */
async function advance(id: string): Promise<{ stop: () => Promise<number> }> {
  const reply = <T>(type: string): Promise<T> => new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      orchestrator.off('message', on);
      resolve(m as T);
    };
    orchestrator.on('message', on);
  });
  const ready = reply('ready');
  orchestrator.send({ type: 'advance', namespace: ns, id, steps, seconds, eventMs });
  await ready;
  return {
    async stop() {
      const stopped = reply<{ appended: number; foldMs: number[] }>('stopped');
      orchestrator.send({ type: 'stop' });
      const m = await stopped;
      if (m.foldMs.length > 0) console.log(`(the orchestrator folded ${m.foldMs.length} verdicts, median ${median(m.foldMs).toFixed(0)} ms, max ${Math.max(...m.foldMs).toFixed(0)} ms, in its own process)`);
      return m.appended;
    },
  };
}

/** How long the API's event loop was blocked meanwhile (p99 and max of its delay, ms). */
type LoopDelay = { readonly p99: number; readonly max: number };

async function measured<T>(f: () => Promise<T>): Promise<[T, LoopDelay]> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const out = await f();
  h.disable();
  return [out, { p99: h.percentile(99) / 1e6, max: h.max / 1e6 }];
}

function print(name: string, m: LoadResult, loop: LoopDelay, baseline?: LoadResult): LoadResult {
  const ratio = baseline ? `   p99 ${(m.p99 / baseline.p99).toFixed(2)}x the baseline's` : '';
  console.log(`${name.padEnd(58)} ${m.rate.toFixed(0).padStart(6)} req/s   median ${m.median.toFixed(2).padStart(6)} ms   p99 ${m.p99.toFixed(2).padStart(7)} ms   errors ${m.errors}${ratio}   loop delay p99 ${loop.p99.toFixed(0)} ms, max ${loop.max.toFixed(0)} ms`);
  return m;
}

async function load(name: string, path: string, baseline?: LoadResult): Promise<LoadResult> {
  const [m, loop] = await measured(() => runLoad(() => fetch(`${url}${path}`, { headers }), seconds, concurrency));
  return print(name, m, loop, baseline);
}

/** Two loads at once, half the clients each: /healthz measured while readers make the API fold the advancing bisection. */
async function loadBoth(a: [string, string], b: [string, string], baseline: LoadResult): Promise<void> {
  const half = Math.max(1, concurrency >> 1);
  const [[ma, mb], loop] = await measured(() => Promise.all([a, b].map(([, path]) => runLoad(() => fetch(`${url}${path}`, { headers }), seconds, half))));
  print(a[0], ma!, loop, baseline);
  print(b[0], mb!, loop, baseline);
}

/** Opens one SSE stream; resolves once its headers arrived. */
function openStream(id: string): Promise<{ status: number; close: () => void; received: () => number }> {
  return new Promise((resolve, reject) => {
    let events = 0;
    const req = httpRequest(`${url}/api/v1/bisections/${id}/events`, { headers, agent: false }, (res) => {
      res.on('data', (chunk: Buffer) => {
        events += chunk.toString('utf8').split('\nevent: ').length - 1;
      });
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, close: () => req.destroy(), received: () => events });
    });
    req.on('error', reject);
    req.end();
  });
}

// Warm-up (JIT, connections), not measured: the baseline is what a warm API answers.
await runLoad(() => fetch(`${url}/healthz`, { headers }), 2, concurrency);
const baseline = await load('GET /healthz (baseline, idle)', '/healthz');
let id = await seed(true);
let advancing = await advance(id);
await load('GET /healthz, a big bisection advancing', '/healthz', baseline);
console.log(`(${await advancing.stop()} events appended meanwhile)`);
id = await seed(false);
advancing = await advance(id);
await load('GET /bisections/:id of the big one, advancing', `/api/v1/bisections/${id}`, baseline);
console.log(`(${await advancing.stop()} events appended meanwhile)`);
id = await seed(false);
advancing = await advance(id);
await loadBoth(['GET /healthz, advancing, while others GET the big one', '/healthz'], ['GET /bisections/:id of the big one, at the same time', `/api/v1/bisections/${id}`], baseline);
console.log(`(${await advancing.stop()} events appended meanwhile)`);
// What a restarted API pays once per big bisection: the stored fold (and graph) from Redis, no replay.
const warm = performance.now();
await new BisectionStore(redis, ns, { awaitOrchestrator: {} }).viewJson(id);
console.log(`first GET in a new process (its stored fold and graph): ${(performance.now() - warm).toFixed(0)} ms`);

id = await seed(false);
const open = [];
for (let k = 0; k < streams; k++) open.push(await openStream(id));
const refused = open.filter((s) => s.status !== 200).length;
const clients = ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes(` name=${readerName} `)).length;
advancing = await advance(id);
await load(`GET /healthz, ${streams} SSE streams open, advancing`, '/healthz', baseline);
const appended = await advancing.stop();
await new Promise((r) => setTimeout(r, 500));
const got = open.map((s) => s.received()).sort((a, b) => a - b);
console.log(`${streams} streams (${refused} refused): ${clients} Redis reader connection(s) for them; events received per stream: min ${got[0]} median ${got[got.length >> 1]} (${appended} appended + the backlog of 2)`);
for (const s of open) s.close();

orchestrator.disconnect();
await app.close();
await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
redis.disconnect();
await dropNamespace(ns);
