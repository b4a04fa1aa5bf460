/**
 * A command probe's network, end to end (real API, Redis, git, bwrap): a
 * probe that asks for it (`probe.network: true`, submitted by a token that
 * may) on a worker with KBISECT_PROBE_NETWORK=allow connects to a TCP
 * listener of the host; the same probe without asking cannot; in a fleet
 * where only another test worker allows it, the step waits for that worker
 * (back in the queue, no attempt used); and where no live test worker allows
 * it, the bisection fails with the reason before any probe runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkerRegistry, connectRedis, keysFor, queueNames } from '@kbisect/service';
import { gitOpener, startWorkers, workerConfigFromEnv } from '@kbisect/worker';
import { REDIS_URL } from './support/redis-namespace.js';
import { TOKEN, oracleRepo, startHarness, waitForEnd, type Harness, type OracleRepo } from './support/service-harness.js';

interface View { status: string; error?: string; culprit?: string; steps: number; verdicts: { evidence?: string }[] }

const history = { parents: Array.from({ length: 12 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 11 };
let listener: Server;
let connections = 0;
let port = 0;
let repo: OracleRepo;
const harnesses: Harness[] = [];

beforeAll(async () => {
  listener = createServer((s) => {
    connections++;
    s.end();
  });
  await new Promise<void>((res) => listener.listen(0, '127.0.0.1', res));
  port = (listener.address() as { port: number }).port;
  repo = await oracleRepo(history, 5, []);
}, 60_000);

afterAll(async () => {
  for (const h of harnesses) await h.close();
  listener.close();
  await repo.cleanup();
}, 60_000);

/** The oracle's verdict, after trying the host's listener (bash: /bin/sh has no /dev/tcp). */
const probe = (network: boolean) => ({
  type: 'command',
  command: `bash -c '(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null' && echo net:connected || echo net:refused; sh ${repo.script}`,
  ...(network ? { network: true } : {}),
});

async function evidenceOf(h: Harness, id: string, view: View): Promise<string[]> {
  const names = view.verdicts.flatMap((v) => (v.evidence !== undefined ? [v.evidence] : []));
  return Promise.all(names.map(async (name) => (await fetch(`${h.url}/api/v1/bisections/${id}/evidence/${name}`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()));
}

async function submit(h: Harness, network: boolean, options: Record<string, unknown> = {}): Promise<string> {
  const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: 'main', probe: probe(network), options });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function bisect(h: Harness, network: boolean): Promise<{ id: string; view: View }> {
  const id = await submit(h, network);
  return { id, view: await waitForEnd<View>(h, id, 60_000) };
}

describe('a command probe and the network', () => {
  it('on a worker that allows it: a probe that asks connects to a host port; one that does not ask cannot', async () => {
    const h = await startHarness('probe-network', { env: { KBISECT_PROBE_NETWORK: 'allow' } });
    harnesses.push(h);

    const closed = await bisect(h, false);
    expect(closed.view).toMatchObject({ status: 'found', culprit: repo.fx.shas[5] });
    const closedEvidence = await evidenceOf(h, closed.id, closed.view);
    expect(closedEvidence.length).toBeGreaterThan(0);
    for (const e of closedEvidence) expect(e).toContain('net:refused');
    expect(connections).toBe(0);

    const open = await bisect(h, true);
    expect(open.view).toMatchObject({ status: 'found', culprit: repo.fx.shas[5] });
    const openEvidence = await evidenceOf(h, open.id, open.view);
    // Tested here, not reused from the closed run (a network probe is another kernel of the cache's key).
    expect(openEvidence.length).toBeGreaterThan(0);
    for (const e of openEvidence) expect(e).toContain('net:connected');
    // Every recorded run's connection reached the host's listener (a run retried after it connected, as under load, connects once more).
    expect(connections).toBeGreaterThanOrEqual(openEvidence.length);
  }, 120_000);

  it('in a fleet where only another test worker allows it: each step waits for that worker, no attempt used, and the culprit is found', async () => {
    // This harness's orchestrator and test worker give probes no network.
    const h = await startHarness('probe-network-fleet');
    harnesses.push(h);
    const redis = connectRedis(REDIS_URL);
    const registry = new TestWorkerRegistry(redis, keysFor(h.namespace));
    const queue = new Queue(queueNames(h.namespace).test, { connection: redis });
    const dir = await mkdtemp(join(tmpdir(), 'kbisect-network-worker-'));
    try {
      // A worker that allows it, busy elsewhere for now: announced, taking no job yet.
      await registry.announce('busy-network-worker', 1, 60_000, ['requests', 'command', 'network']);
      // No retries: a refusal that used an attempt would end the step, and the bisection with it.
      const id = await submit(h, true, { retries: 0 });
      await expect.poll(() => queue.getDelayedCount(), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
      expect((await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`)).body.status).toBe('running');
      // The network worker comes: the refused steps are its.
      const other = await startWorkers(workerConfigFromEnv({ ...h.env, KBISECT_PROBE_NETWORK: 'allow', KBISECT_CACHE_DIR: dir }, ['test'], { cacheDir: dir }), { openRepo: gitOpener(dir), logger: pino({ level: 'silent' }) });
      await registry.withdraw('busy-network-worker');
      try {
        const view = await waitForEnd<View>(h, id, 90_000);
        expect(view, JSON.stringify(view)).toMatchObject({ status: 'found', culprit: repo.fx.shas[5] });
        const evidence = await evidenceOf(h, id, view);
        expect(evidence.length).toBeGreaterThan(0);
        for (const e of evidence) expect(e).toContain('net:connected');
      } finally {
        await other.close();
      }
    } finally {
      await queue.close();
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('where no live test worker allows it: the bisection fails with the reason, and no probe runs', async () => {
    const h = await startHarness('probe-network-deny');
    harnesses.push(h);
    const before = connections;
    const { view } = await bisect(h, true);
    expect(view.status).toBe('failed');
    expect(view.error).toBe("refused by the worker: the command probe asks for the network (probe.network) and this worker gives probes none (KBISECT_PROBE_NETWORK is not 'allow'); no live test worker can run it");
    expect(view.steps).toBe(0);
    expect(connections).toBe(before);
  }, 90_000);
});
