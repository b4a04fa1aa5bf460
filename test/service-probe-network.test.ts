/**
 * A command probe's network, end to end (real API, Redis, git, bwrap): a
 * probe that asks for it (`probe.network: true`, submitted by a token that
 * may) on a worker with KBISECT_PROBE_NETWORK=allow connects to a TCP
 * listener of the host; the same probe without asking cannot; and a worker
 * that does not allow it refuses the bisection with the reason, before any
 * probe runs.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

async function bisect(h: Harness, network: boolean): Promise<{ id: string; view: View }> {
  const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: 'main', probe: probe(network) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { id: created.body.id, view: await waitForEnd<View>(h, created.body.id, 60_000) };
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

  it('on a worker that does not allow it: the bisection fails with the reason, and no probe runs', async () => {
    const h = await startHarness('probe-network-deny');
    harnesses.push(h);
    const before = connections;
    const { view } = await bisect(h, true);
    expect(view.status).toBe('failed');
    expect(view.error).toBe("refused by the worker: the command probe asks for the network (probe.network) and this worker gives probes none (KBISECT_PROBE_NETWORK is not 'allow')");
    expect(view.steps).toBe(0);
    expect(connections).toBe(before);
  }, 90_000);
});
