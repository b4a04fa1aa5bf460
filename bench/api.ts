/**
 * bench/api — throughput and latency of the API on loopback.
 *
 * Input: --inflight N bisections already running (default 200), each with a
 *   stored graph of --commits commits (default 2000) and a few verdicts;
 *   --seconds S per measurement (default 5); --concurrency C (default 16);
 *   --console-lines L every --console-ms M (default 40 lines every 2000 ms,
 *   what a lab worker's console throttle appends during a kernel step).
 * Output, in one run: GET /healthz (the baseline: one Redis round trip, no
 *   auth), then GET /bisections/:id with no console traffic, while ANOTHER
 *   bisection streams console lines, and of the streaming bisection itself,
 *   each with req/s, median, p99 and its ratio to the baseline's rate; then
 *   POST /bisections (validate + append + enqueue). Redis at REDIS_URL (else
 *   127.0.0.1:6379) under a throwaway namespace. No workers run, so the
 *   submitted bisections stay queued.
 * The clients run in a child process (bench/load-client.ts), as remote
 *   clients would, so the latencies are the API's and not its event loop's
 *   shared with 16 fetch loops; --inline-clients runs them in this process
 *   as before (the figures of earlier runs). cpu is this process's: the API.
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from '@kbisect/api';
import { next, startBisection } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom } from '@kbisect/bisect/testing';
import { BisectionStore, MachineStore, TreeStore, type ConsoleEvent, TokenRegistry, connectRedis, enqueueOrchestrate, hashToken, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../test/support/redis-namespace.js';
import { numberFlag } from './flags.js';
import { runLoad, type LoadResult } from './latency.js';
import { runLoadInChild } from './load-child.js';
import { callOf, type LoadSpec } from './load-spec.js';

/** What a lab worker does with a batch of console lines (before they had a stream of their own: `s.log.append`). */
async function appendConsole(s: BisectionStore, id: string, event: ConsoleEvent): Promise<void> {
  await s.console.append(id, event);
}

const inflight = numberFlag('inflight', 200);
const commits = numberFlag('commits', 2000);
const seconds = numberFlag('seconds', 5);
const concurrency = numberFlag('concurrency', 16);
const consoleLines = numberFlag('console-lines', 40);
const consoleMs = numberFlag('console-ms', 2000);
const inlineClients = process.argv.includes('--inline-clients');

const ns = uniqueNamespace('bench');
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const token = 'bench-token';
const app = await buildApp(
  {
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues,
    // Limits high enough that the POST measurement measures the work, not the 429s.
    tokens: new TokenRegistry({ tokens: [{ name: 'bench', role: 'admin', sha256: hashToken(token), commandProbe: true, limits: { submissionsPerMinute: 1_000_000, concurrentBisections: 1_000_000 } }] }),
    allowCommandProbe: true, bodyLimit: 65536, now: () => new Date(),
    enqueueOrchestrate: (id) => enqueueOrchestrate(queues.orchestrate, redis, store.keys, id),
  },
  { logger: pino({ level: 'silent' }) },
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
// Submissions name a registered tree (POST /bisections measures its lookup too).
await new TreeStore(redis, ns).register({ name: 'linux', repo: '/srv/linux' });

// Seed bisections in flight: graph stored, initialized, a few verdicts in.
const history = generateHistory(seededRandom(1), { commits });
const { graph, good, bad } = graphOf(history);
const badSet = new Set([...descendantsOf(history, Math.floor(commits * 0.4))].map(fakeSha));
const ids: string[] = [];
const request = { repo: '/srv/linux', good: [good.slice(0, 12)], bad: 'HEAD', probe: { type: 'command' as const, command: 'true' } };
/** A bisection in flight: graph stored, initialized, four verdicts in, its next step started. */
async function seed(): Promise<string> {
  const id = await store.create(request, 'bench', new Date());
  await store.saveGraph(id, graph);
  await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  let step = startBisection({ graph, bad, goods: [good] });
  for (let v = 0; v < 4 && step.commands[0]?.type === 'test'; v++) {
    const c = step.commands[0].commit;
    const verdict = badSet.has(c) ? 'bad' : 'good';
    await store.log.appendOnce(id, `verdict:${c}`, { type: 'verdict', at: new Date().toISOString(), commit: c, verdict, reason: 'bench', source: 'probe' });
    step = next(step.state, { type: 'verdict', commit: c, verdict });
  }
  const test = step.commands[0];
  if (test?.type === 'test') await store.log.append(id, { type: 'step-started', at: new Date().toISOString(), commit: test.commit, progress: test.progress, attempt: 1 });
  return id;
}
for (let k = 0; k < inflight; k++) ids.push(await seed());
// The bisection whose lab step streams its console (not among the ones read in the first runs).
const streaming = await seed();
const writerRedis = connectRedis(REDIS_URL);
const writer = new BisectionStore(writerRedis, ns);
let written = 0;
/** Appends console lines as a lab worker does, until stopped; its own connection, like a worker's. */
function streamConsole(): () => Promise<void> {
  let stop = false;
  const run = (async () => {
    while (!stop) {
      const lines = Array.from({ length: consoleLines }, (_, n) => `[ ${(written + n).toString().padStart(6)}.000000] vfio-pci 0000:00:04.0: console line of the bench`);
      await appendConsole(writer, streaming, { type: 'step-progress', at: new Date().toISOString(), commit: bad, phase: 'console', message: `${lines.length} console line(s)`, lines });
      written += lines.length;
      await new Promise((r) => setTimeout(r, consoleMs));
    }
  })();
  return async () => {
    stop = true;
    await run;
  };
}

interface Measured extends LoadResult { readonly cpuUs: number }

async function load(name: string, request: Omit<LoadSpec, 'seconds' | 'concurrency'>, baseline?: Measured): Promise<Measured> {
  const spec = { ...request, seconds, concurrency };
  const cpu0 = process.cpuUsage();
  const r = inlineClients ? await runLoad(callOf(spec), seconds, concurrency) : await runLoadInChild(spec);
  const cpu = process.cpuUsage(cpu0);
  // CPU time of this process per request (the API, and the clients with --inline-clients): steadier than rates on a busy machine.
  const m = { ...r, cpuUs: (cpu.user + cpu.system) / r.count };
  const ratio = baseline ? `   ${(m.rate / baseline.rate).toFixed(2)}x baseline rate, ${(m.cpuUs / baseline.cpuUs).toFixed(2)}x its cpu` : '';
  console.log(`${name.padEnd(46)} ${m.rate.toFixed(0).padStart(7)} req/s   median ${m.median.toFixed(2).padStart(6)} ms   p99 ${m.p99.toFixed(2).padStart(6)} ms   cpu ${m.cpuUs.toFixed(0).padStart(6)} us/req   errors ${m.errors}${ratio}`);
  return m;
}

const headers = { authorization: `Bearer ${token}` };
const getOne = (id: string) => fetch(`${url}/api/v1/bisections/${id}`, { headers });
console.log(`kbisect API on loopback: ${inflight} bisections in flight (graphs of ${graph.commits.length} commits), ${concurrency} concurrent clients ${inlineClients ? 'in this process' : 'in a child process'}, ${seconds}s each; console: ${consoleLines} lines every ${consoleMs} ms`);
// A first read of each bisection folds (before: replays) its whole log; measured once, then the steady state.
const cold = performance.now();
for (const id of [...ids, streaming]) await (await getOne(id)).arrayBuffer();
console.log(`first GET of each of the ${ids.length + 1} bisections, one at a time: ${((performance.now() - cold) / (ids.length + 1)).toFixed(2)} ms each`);
const readEach = { urls: ids.map((id) => `${url}/api/v1/bisections/${id}`), headers };
const baseline = await load('GET /healthz (baseline)', { urls: [`${url}/healthz`] });
await load('GET /bisections/:id, no console traffic', readEach, baseline);
const stopConsole = streamConsole();
await load('GET /bisections/:id, another streams console', readEach, baseline);
await load('GET /bisections/:id of the streaming one', { urls: [`${url}/api/v1/bisections/${streaming}`], headers }, baseline);
await stopConsole();
console.log(`(${written} console lines appended meanwhile)`);
await load('POST /bisections', { urls: [`${url}/api/v1/bisections`], method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(request) }, baseline);

await app.close();
await queues.orchestrate.close();
await queues.build.close();
await queues.test.close();
redis.disconnect();
writerRedis.disconnect();
await dropNamespace(ns);
