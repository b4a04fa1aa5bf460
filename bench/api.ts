/**
 * bench/api — throughput and latency of the API on loopback.
 *
 * Input: --inflight N bisections already running (default 200), each with a
 *   stored graph of --commits commits (default 2000) and a few verdicts;
 *   --seconds S per measurement (default 5); --concurrency C (default 16).
 * Output: requests/s, median and p99 latency for GET /bisections/:id (which
 *   replays the engine from the event log on every call) and POST /bisections
 *   (validate + append + enqueue), against Redis at REDIS_URL (else
 *   127.0.0.1:6379) under a throwaway namespace. No workers run, so the
 *   submitted bisections stay queued.
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from '@kbisect/api';
import { next, startBisection } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom } from '@kbisect/bisect/testing';
import { BisectionStore, MachineStore, TokenRegistry, connectRedis, enqueueOrchestrate, hashToken, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../test/support/redis-namespace.js';
import { numberFlag } from './flags.js';

const inflight = numberFlag('inflight', 200);
const commits = numberFlag('commits', 2000);
const seconds = numberFlag('seconds', 5);
const concurrency = numberFlag('concurrency', 16);

const ns = uniqueNamespace('bench');
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const token = 'bench-token';
const app = await buildApp(
  {
    store, machines: new MachineStore(redis, ns), redis, queues,
    tokens: new TokenRegistry({ tokens: [{ name: 'bench', role: 'admin', sha256: hashToken(token), commandProbe: true }] }),
    allowCommandProbe: true, bodyLimit: 65536, now: () => new Date(),
    enqueueOrchestrate: (id) => enqueueOrchestrate(queues.orchestrate, redis, store.keys, id),
  },
  { logger: pino({ level: 'silent' }) },
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });

// Seed bisections in flight: graph stored, initialized, a few verdicts in.
const history = generateHistory(seededRandom(1), { commits });
const { graph, good, bad } = graphOf(history);
const badSet = new Set([...descendantsOf(history, Math.floor(commits * 0.4))].map(fakeSha));
const ids: string[] = [];
const request = { repo: '/srv/linux', good: [good.slice(0, 12)], bad: 'HEAD', probe: { type: 'command' as const, command: 'true' } };
for (let k = 0; k < inflight; k++) {
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
  ids.push(id);
}

async function load(name: string, call: (i: number) => Promise<Response>): Promise<void> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let errors = 0;
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await call(i++);
      await res.arrayBuffer();
      if (res.status >= 400) errors++;
      latencies.push(performance.now() - t0);
    }
  }));
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  console.log(`${name.padEnd(28)} ${(latencies.length / seconds).toFixed(0).padStart(7)} req/s   median ${q(0.5).toFixed(2).padStart(7)} ms   p99 ${q(0.99).toFixed(2).padStart(7)} ms   errors ${errors}`);
}

const headers = { authorization: `Bearer ${token}` };
console.log(`kbisect API on loopback: ${inflight} bisections in flight (graphs of ${graph.commits.length} commits), ${concurrency} concurrent clients, ${seconds}s each`);
await load('GET /bisections/:id', (i) => fetch(`${url}/api/v1/bisections/${ids[i % ids.length]}`, { headers }));
await load('POST /bisections', () => fetch(`${url}/api/v1/bisections`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(request) }));
await load('GET /healthz (baseline)', () => fetch(`${url}/healthz`));

await app.close();
await queues.orchestrate.close();
await queues.test.close();
redis.disconnect();
await dropNamespace(ns);
