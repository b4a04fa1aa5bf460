/**
 * Nothing hangs silently: a bisection whose repository cannot be reached
 * ends `failed` with the reason — in GET, the event stream (what `kbisect
 * watch` shows) and the report — through the real API, BullMQ workers and git.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@kbisect/lab';
import { startHarness, TOKEN, waitForEnd, type Harness } from './support/service-harness.js';

type View = { status: string; error?: string; repo: string };

const waitFor = (h: Harness, id: string, timeoutMs: number): Promise<View> => waitForEnd<View>(h, id, timeoutMs);

/** What a watcher reads: the whole event stream of a finished bisection (it ends after `finished`). */
async function events(h: Harness, id: string): Promise<string> {
  const res = await fetch(`${h.url}/api/v1/bisections/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  return res.text();
}

describe('a repository that cannot be reached', () => {
  let h: Harness;
  let scratch: string;
  beforeAll(async () => {
    // The operator's opt-in to open URLs, allowing this host only.
    h = await startHarness('unreachable', { env: { KBISECT_OPEN_REPOS: 'git,https', KBISECT_REPO_HOSTS: '127.0.0.1' } });
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-unreachable-'));
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await rm(scratch, { recursive: true, force: true });
  }, 60_000);

  it('an allow-listed URL to a closed port ends failed with git\'s reason within a minute, once the retries run out', async () => {
    const port = await freePort('tcp');
    const started = Date.now();
    const submitted = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: `git://127.0.0.1:${port}/linux.git`, good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: 'true' } });
    expect(submitted.status).toBe(201);
    const { id } = submitted.body;
    const view = await waitFor(h, id, 60_000);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/^git clone failed: fatal: unable to connect to 127\.0\.0\.1.*Connection refused/);
    expect(view.error).not.toContain(h.cacheDir);
    const stream = await events(h, id);
    expect(stream).toMatch(/event: finished\ndata: .*"status":"failed".*git clone failed/);
    const report = await (await fetch(`${h.url}/api/v1/bisections/${id}/report`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(report).toContain('git clone failed');
  }, 90_000);

  it('a registered tree whose path was removed ends failed naming the tree, not the path', async () => {
    const dir = join(scratch, 'vanished');
    await execa('git', ['init', '--quiet', dir]);
    await h.registerTree(dir, 'vanished');
    await rm(dir, { recursive: true, force: true });
    const submitted = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: 'vanished', good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: 'true' } });
    expect(submitted.status).toBe(201);
    const view = await waitFor(h, submitted.body.id, 60_000);
    expect(view).toMatchObject({ status: 'failed', repo: 'vanished', error: "repo: 'vanished' is not a git repository" });
    expect(await events(h, submitted.body.id)).not.toContain(scratch);
  }, 90_000);
});
