/**
 * importLog in the service honours the log's start (issue 14.3) as `kbisect
 * run --import-log` does (one driver core): a log git wrote with
 * --first-parent continues on first parents though the request does not say
 * so, testing what `git bisect replay` + `git bisect run` test; a request
 * whose ends contradict the log is refused with the reason. Real Redis, real
 * git, the real API and workers.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handLogs, MERGED_SIDE_HISTORY, SIDE_CULPRIT, type HandLogs } from './support/hand-bisect-log.js';
import { oracleRepo, startHarness, type Harness, type OracleRepo } from './support/service-harness.js';

interface View { status: string; culprit?: string; error?: string; verdicts: { commit: string; source: string }[] }

const history = MERGED_SIDE_HISTORY;
const culprit = SIDE_CULPRIT; // first-parent bisection blames the merge (15)

let h: Harness;
let repo: OracleRepo;
let logs: HandLogs;
beforeAll(async () => {
  h = await startHarness('import-log');
  repo = await oracleRepo(history, culprit, []);
  logs = handLogs(repo.fx.dir, repo.script, repo.scratch);
}, 60_000);
afterAll(async () => {
  await h.close();
  await repo.cleanup();
}, 120_000);

async function submit(log: string, ends: { bad: string; good: string }): Promise<View> {
  const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
    repo: await h.registerTree(repo.fx.dir), ...ends, good: [ends.good], probe: { type: 'command', command: `sh ${repo.script}` },
    importLog: await readFile(log, 'utf8'), options: { checkEndpoints: false, maxParallel: 1 },
  });
  expect(created.status).toBe(201);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${created.body.id}`);
    if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the service continuing a git bisect log', () => {
  it('keeps the log\'s --first-parent mode: the same commits tested and the same culprit as git', async () => {
    const log = await logs.handLog(true);
    const theirs = await logs.gitContinues(log);
    const ours = await submit(log, { bad: 'main', good: 'main~9' });
    expect(ours.status, ours.error).toBe('found');
    expect(ours.culprit).toBe(theirs.culprit);
    expect(ours.culprit).toBe(repo.fx.shas[15]);
    expect(ours.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit)).toEqual(theirs.tested);
  }, 120_000);

  it('refuses ends that contradict the log, naming them', async () => {
    const log = await logs.handLog(false);
    const ours = await submit(log, { bad: repo.fx.shas[18]!, good: 'main~9' });
    expect(ours.status).toBe('failed');
    expect(ours.error).toMatch(/^importLog: --bad [0-9a-f]{12} contradicts the imported log, which starts from bad [0-9a-f]{12}/);
    expect(ours.verdicts).toEqual([]);
  }, 120_000);
});
