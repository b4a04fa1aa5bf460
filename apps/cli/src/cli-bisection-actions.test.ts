/**
 * `kbisect list`, `cancel`, `verdict`, `annotate` and `retry`: the CLI in its
 * own process against the real API (on real Redis), as a maintainer at a
 * terminal runs them, and as a read-only or submit-only user would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphOf } from '@kbisect/bisect/testing';
import { apiTestApp, type ApiTestApp } from '../../../test/support/api-app.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let api: ApiTestApp;
let url = '';
let dir = '';
// A bisection past initialization on a linear history of 8 commits (0 good, 7 bad), and one still queued.
const history = { parents: Array.from({ length: 8 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 7 };
const { graph, good, bad } = graphOf(history);
let running = '';
let queued = '';

beforeAll(async () => {
  api = await apiTestApp('cli-actions', [{ name: 'mia', role: 'maintain', commandProbe: true }, { name: 'sam', role: 'submit', commandProbe: true }, { name: 'rita', role: 'read' }], { allowCommandProbe: true });
  url = await api.listen();
  dir = await mkdtemp(join(tmpdir(), 'kbisect-cli-actions-'));
  await api.registerTree(dir, 'linux');
  running = await api.store.create({ repo: dir, good: [good], bad, probe: { type: 'command', command: 'make check' }, options: { checkEndpoints: false } }, 'sam', new Date('2026-11-30T10:00:00Z'), { tree: 'linux' });
  await api.store.saveGraph(running, graph);
  await api.store.log.appendOnce(running, 'initialized', { type: 'initialized', at: '2026-11-30T10:00:01Z', bad, goods: [good], commits: graph.commits.length, untestable: {} });
  // What the orchestrator records once it has opened the range (the list filters by it).
  await api.store.setStatus(running, 'running');
  queued = await api.store.create({ repo: dir, good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'true' } }, 'mia', new Date('2026-11-30T11:00:00Z'), { tree: 'linux' });
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

// The state dir is empty: no local admin token to fall back on, only the token given.
const cli = (token: string, args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 30_000, env: { ...process.env, KBISECT_URL: url, KBISECT_TOKEN: `t-${token}`, KBISECT_STATE_DIR: dir } });

describe('kbisect list', () => {
  it('lists the bisections newest first, one line each with the whole id, filtered by status and submitter', async () => {
    const all = await cli('rita', ['list']);
    expect(all.exitCode, all.stderr).toBe(0);
    const range = `${good.slice(0, 12)}..${bad.slice(0, 12)}`;
    expect(all.stdout.split('\n')).toEqual([
      `${queued}  queued   2026-11-30 11:00  linux  ${'v1..v2'.padEnd(range.length)}  mia`,
      // Every commit of the range but the good end is still a candidate.
      `${running}  running  2026-11-30 10:00  linux  ${range}  sam  ${graph.commits.length} commits left`,
    ]);
    expect((await cli('rita', ['list', '--status', 'queued'])).stdout.split('\n').map((l) => l.split(' ')[0])).toEqual([queued]);
    expect((await cli('rita', ['list', '--by', 'sam'])).stdout.split('\n').map((l) => l.split(' ')[0])).toEqual([running]);
    expect(JSON.parse((await cli('rita', ['list', '--json', '--limit', '1'])).stdout)).toMatchObject({ items: [{ id: queued, status: 'queued' }], next: expect.any(String) });
  });

  it('ends a longer list with the command for its next page, filters kept, which lists the rest', async () => {
    const first = await cli('rita', ['list', '--limit', '1', '--repo', 'linux']);
    const more = first.stdout.split('\n').at(-1)!;
    expect(more).toMatch(/^more: kbisect list --repo=linux --limit=1 --cursor=\S+$/);
    const next = await cli('rita', more.replace(/^more: kbisect /, '').split(' '));
    expect(next.stdout.split(' ')[0]).toBe(running);
  });

  it('refuses a status it does not know and a bad limit, naming the flag', async () => {
    const status = await cli('rita', ['list', '--status', 'done']);
    expect(status.exitCode).toBe(2);
    expect(status.stderr.trim()).toBe('kbisect list: --status: \'done\' is not one of queued, running, found, ambiguous, failed, cancelled');
    const limit = await cli('rita', ['list', '--limit', '0']);
    expect(limit.exitCode).toBe(2);
    expect(limit.stderr).toContain("--limit: '0' is not an integer from 1 to 200");
  });
});

describe('kbisect verdict, annotate, cancel, retry', () => {
  it('records a verdict by hand on a commit named by a prefix, and refuses one that contradicts the range', async () => {
    const mid = graph.commits[3]!;
    const res = await cli('mia', ['verdict', running, mid.slice(0, 8), 'bad', '--reason', 'reproduced by hand']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toBe(`${mid.slice(0, 12)} marked bad in ${running}`);
    const events = (await api.store.log.read(running)).map((e) => e.event);
    expect(events).toContainEqual(expect.objectContaining({ type: 'verdict', commit: mid, verdict: 'bad', source: 'manual', by: 'mia', reason: 'reproduced by hand' }));
    // A full sha goes as given: the good end is not among the range's commits, and the API judges it.
    const contradiction = await cli('mia', ['verdict', running, good, 'bad']);
    expect(contradiction.exitCode, contradiction.stderr).toBe(1);
    expect(contradiction.stderr).toMatch(/409 .*good end of the range/);
  });

  it('refuses a commit outside the range, an unknown verdict, and a reader, each in one line', async () => {
    const outside = await cli('mia', ['verdict', running, 'beef', 'bad']);
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr.trim()).toBe("kbisect verdict: <commit>: no commit of the bisection's range starts with beef (a good end is not in the range: give its full sha)");
    const word = await cli('mia', ['verdict', running, graph.commits[2]!.slice(0, 8), 'broken']);
    expect(word.exitCode).toBe(2);
    expect(word.stderr).toContain("'broken' is not a verdict (good, bad or skip)");
    const reader = await cli('rita', ['verdict', running, graph.commits[2]!.slice(0, 8), 'bad']);
    expect(reader.exitCode).toBe(1);
    expect(reader.stderr).toMatch(/403 this needs the 'maintain' role/);
  });

  it('annotates the result, and the list shows the judgement beside the answer', async () => {
    const over = await cli('mia', ['annotate', running, '--culprit', graph.commits[5]!.slice(0, 9), '--reason', 'the real change']);
    expect(over.exitCode, over.stderr).toBe(0);
    expect(over.stdout).toBe(`culprit of ${running} overridden to ${graph.commits[5]!.slice(0, 12)}`);
    expect((await cli('rita', ['list', '--by', 'sam'])).stdout).toMatch(new RegExp(`\\[culprit overridden to ${graph.commits[5]!.slice(0, 12)} by mia\\]$`));
    const invalid = await cli('mia', ['annotate', running, '--invalid', '--reason', 'flaky lab']);
    expect(invalid.stdout).toBe(`${running} marked invalid`);
    expect((await cli('rita', ['list', '--by', 'sam'])).stdout).toMatch(/\[marked invalid by mia\]$/);
    for (const args of [['annotate', running, '--invalid'], ['annotate', running, '--reason', 'x'], ['annotate', running, '--invalid', '--culprit', 'abcd', '--reason', 'x']]) {
      const misuse = await cli('mia', args);
      expect(misuse.exitCode, args.join(' ')).toBe(2);
    }
  });

  it('retries as a new bisection under the retrier\'s name, printing its id', async () => {
    const res = await cli('sam', ['retry', queued]);
    expect(res.exitCode, res.stderr).toBe(0);
    const id = res.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toBe(queued);
    expect((await api.store.load(id)).fold.created).toMatchObject({ by: 'sam', tree: 'linux' });
  });

  it('cancels with a reason; a submitter may not', async () => {
    const refused = await cli('sam', ['cancel', queued]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/403 this needs the 'maintain' role/);
    const res = await cli('mia', ['cancel', queued, '--reason', 'wrong range']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toBe(`cancel requested for ${queued}`);
    expect((await api.store.log.read(queued)).map((e) => e.event)).toContainEqual(expect.objectContaining({ type: 'cancel-requested', by: 'mia', reason: 'wrong range' }));
    const notAnId = await cli('mia', ['cancel', 'x']);
    expect(notAnId.exitCode).toBe(2);
    expect(notAnId.stderr.trim()).toBe("kbisect cancel: 'x' is not a bisection id");
  });
});
