/**
 * bench/api-big-range — does a bisection at the range cap stall the API?
 *
 * Input: --commits N in the big bisection's range (default 200000, the
 *   order of the default cap), --seconds S per measurement (default 5),
 *   --concurrency C clients (default 16), --streams K SSE streams for the
 *   last part (default 500), --event-ms M between appended events (default
 *   20: build progress, with the steps' starts and verdicts spread over each
 *   measurement).
 * Output, in one run, each line with req/s, median and p99 latency and the
 *   p99's ratio to the baseline's; each measurement on a new big bisection
 *   (created, graph stored, initialized, folded once by the "orchestrator")
 *   that advances meanwhile (events appended by a second connection, as a
 *   worker does), so every window holds verdicts the API must fold:
 *   1. GET /healthz with nothing else going on (the baseline), then the
 *      orchestrator's first fold and the API's first GET of a big one;
 *   2. GET /healthz while a big bisection advances;
 *   3. GET /bisections/:id of the big bisection while it advances, then
 *      /healthz and that GET at once (half the clients each: the API folds
 *      each new verdict once, on the first read after it), and the first
 *      read of it by a new API process (fold snapshot and graph);
 *   4. GET /healthz with K SSE streams open on a big bisection while it
 *      advances, and the Redis clients the API holds for them (CLIENT LIST).
 * Redis at REDIS_URL (else 127.0.0.1:6379) under a throwaway namespace. The
 * verdicts are computed before the measurements, so the engine's work is
 * not on the API's event loop (in a deployment it runs on a worker).
 */
import { request as httpRequest } from 'node:http';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from '@kbisect/api';
import { next, startBisection } from '@kbisect/bisect';
import { fakeSha, graphOf } from '@kbisect/bisect/testing';
import { BisectionStore, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames, type LogEvent } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../test/support/redis-namespace.js';
import { numberFlag } from './flags.js';
import { runLoad, type LoadResult } from './latency.js';

const commits = numberFlag('commits', 200_000);
const seconds = numberFlag('seconds', 5);
const concurrency = numberFlag('concurrency', 16);
const streams = numberFlag('streams', 500);
const eventMs = numberFlag('event-ms', 20);

const ns = uniqueNamespace('bench-big');
const readerName = `${ns}-sse`;
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
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

// A linear range of `commits` commits, the culprit at 40 %; its verdicts computed up front.
const { graph, good, bad } = graphOf({ parents: Array.from({ length: commits }, (_, i) => (i === 0 ? [] : [i - 1])), tip: commits - 1 });
const culprit = Math.floor(commits * 0.4);
const index = new Map(graph.commits.map((c, i) => [c, i]));
const at = (): string => new Date().toISOString();
const steps: LogEvent[][] = [];
let state = startBisection({ graph, bad, goods: [good] });
while (state.commands[0]?.type === 'test') {
  const test = state.commands[0];
  // graph.commits is newest first: position k is commit number commits-1-k.
  const verdict = commits - 1 - (index.get(test.commit) ?? 0) >= culprit ? 'bad' : 'good';
  steps.push([
    { type: 'step-started', at: at(), commit: test.commit, progress: test.progress, attempt: 1 },
    { type: 'verdict', at: at(), commit: test.commit, verdict, reason: 'bench', source: 'probe', durationMs: 1000 },
  ]);
  state = next(state.state, { type: 'verdict', commit: test.commit, verdict });
}
const headers = { authorization: `Bearer ${token}` };
console.log(`kbisect API, ${commits}-commit bisections (${steps.length} steps to the culprit), ${concurrency} clients, ${seconds}s per measurement; each measurement while one advances`);

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
    console.log(`the API's first GET (fold snapshot + stored graph, parsed once) ${(performance.now() - t2).toFixed(0)} ms`);
  }
  return id;
}

/**
 * Appends to `id` as a worker would, on its own connection, for about one
 * measurement: build progress every tick, the steps' starts and verdicts
 * spread evenly over the measurement, so every window holds verdicts.
 */
function advance(id: string): { stop: () => Promise<number> } {
  const writerRedis = connectRedis(REDIS_URL);
  const writer = new BisectionStore(writerRedis, ns);
  const every = Math.max(2, Math.floor((seconds * 1000) / eventMs / steps.length));
  let stop = false;
  let appended = 0;
  const run = (async () => {
    for (let tick = 0; !stop; tick++) {
      const step = steps[Math.floor(tick / every)];
      if (step && tick % every === 0) await writer.log.append(id, step[0]!);
      else if (step && tick % every === every - 1) await writer.log.appendOnce(id, `verdict:${tick}`, step[1]!);
      else await writer.log.append(id, { type: 'step-progress', at: at(), commit: fakeSha(tick % commits), phase: 'build', message: `CC mm/file-${tick}.o` });
      appended++;
      await new Promise((r) => setTimeout(r, eventMs));
    }
  })();
  return {
    async stop() {
      stop = true;
      await run;
      writerRedis.disconnect();
      return appended;
    },
  };
}

function print(name: string, m: LoadResult, baseline?: LoadResult): LoadResult {
  const ratio = baseline ? `   p99 ${(m.p99 / baseline.p99).toFixed(2)}x the baseline's` : '';
  console.log(`${name.padEnd(58)} ${m.rate.toFixed(0).padStart(6)} req/s   median ${m.median.toFixed(2).padStart(6)} ms   p99 ${m.p99.toFixed(2).padStart(7)} ms   errors ${m.errors}${ratio}`);
  return m;
}

async function load(name: string, path: string, baseline?: LoadResult): Promise<LoadResult> {
  return print(name, await runLoad(() => fetch(`${url}${path}`, { headers }), seconds, concurrency), baseline);
}

/** Two loads at once, half the clients each: /healthz measured while readers make the API fold the advancing bisection. */
async function loadBoth(a: [string, string], b: [string, string], baseline: LoadResult): Promise<void> {
  const half = Math.max(1, concurrency >> 1);
  const [ma, mb] = await Promise.all([a, b].map(([, path]) => runLoad(() => fetch(`${url}${path}`, { headers }), seconds, half)));
  print(a[0], ma!, baseline);
  print(b[0], mb!, baseline);
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

const baseline = await load('GET /healthz (baseline, idle)', '/healthz');
let id = await seed(true);
let advancing = advance(id);
await load('GET /healthz, a big bisection advancing', '/healthz', baseline);
console.log(`(${await advancing.stop()} events appended meanwhile)`);
id = await seed(false);
advancing = advance(id);
await load('GET /bisections/:id of the big one, advancing', `/api/v1/bisections/${id}`, baseline);
console.log(`(${await advancing.stop()} events appended meanwhile)`);
id = await seed(false);
advancing = advance(id);
await loadBoth(['GET /healthz, advancing, while others GET the big one', '/healthz'], ['GET /bisections/:id of the big one, at the same time', `/api/v1/bisections/${id}`], baseline);
console.log(`(${await advancing.stop()} events appended meanwhile)`);
// What a restarted API pays once per big bisection: the fold snapshot and the graph from Redis, no replay.
const warm = performance.now();
await new BisectionStore(redis, ns).viewJson(id);
console.log(`first GET in a new process (fold snapshot + stored graph): ${(performance.now() - warm).toFixed(0)} ms`);

id = await seed(false);
const open = [];
for (let k = 0; k < streams; k++) open.push(await openStream(id));
const refused = open.filter((s) => s.status !== 200).length;
const clients = ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes(` name=${readerName} `)).length;
advancing = advance(id);
await load(`GET /healthz, ${streams} SSE streams open, advancing`, '/healthz', baseline);
const appended = await advancing.stop();
await new Promise((r) => setTimeout(r, 500));
const got = open.map((s) => s.received()).sort((a, b) => a - b);
console.log(`${streams} streams (${refused} refused): ${clients} Redis reader connection(s) for them; events received per stream: min ${got[0]} median ${got[got.length >> 1]} (${appended} appended + the backlog of 2)`);
for (const s of open) s.close();

await app.close();
await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
redis.disconnect();
await dropNamespace(ns);
