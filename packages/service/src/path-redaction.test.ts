import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { BisectionStore } from './bisection-store.js';
import { pathRedactor } from './path-redaction.js';
import { connectRedis } from './redis-connection.js';

const redact = pathRedactor([{ path: '/root/.cache/kbisect', label: '<cache>' }, { path: '/root', label: '<home>' }, { path: '/srv/tftp/', label: '<lab>' }]);

describe('pathRedactor', () => {
  it('replaces the longest matching directory first, every occurrence', () => {
    expect(redact("fatal: could not create work tree dir '/root/.cache/kbisect/worktrees/x': Permission denied; see /root/.cache/kbisect/log"))
      .toBe("fatal: could not create work tree dir '<cache>/worktrees/x': Permission denied; see <cache>/log");
    expect(redact('cannot stage the boot files under /srv/tftp/kbisect: EACCES, HOME=/root')).toBe('cannot stage the boot files under <lab>/kbisect: EACCES, HOME=<home>');
    expect(redact('exit 1 in /srv/linux')).toBe('exit 1 in /srv/linux');
  });
});

describe('a store with a redactor (a worker)', () => {
  const ns = uniqueNamespace('redact');
  const redis = connectRedis(REDIS_URL);
  afterAll(async () => {
    redis.disconnect();
    await dropNamespace(ns);
  });

  it('stores errors and reasons without its directories, through append and appendOnce', async () => {
    const store = new BisectionStore(redis, ns, { redact });
    const id = await store.create({ repo: '/srv/linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'true' } }, 'tester', new Date());
    const at = new Date().toISOString();
    await store.log.append(id, { type: 'verdict', at, commit: 'c'.repeat(40), verdict: 'skip', reason: 'build: make failed in /root/.cache/kbisect/kbuild/slot-0', source: 'probe' });
    await store.log.appendOnce(id, 'failed', { type: 'failed', at, error: 'git fetch failed: /root/.cache/kbisect/mirrors/abc: bad object' });
    await store.log.appendOnce(id, 'finished', { type: 'finished', at, status: 'failed', error: 'git fetch failed: /root/.cache/kbisect/mirrors/abc: bad object' });
    const events = (await new BisectionStore(redis, ns).log.read(id)).map((e) => e.event);
    expect(events.slice(1)).toMatchObject([
      { type: 'verdict', reason: 'build: make failed in <cache>/kbuild/slot-0' },
      { type: 'failed', error: 'git fetch failed: <cache>/mirrors/abc: bad object' },
      { type: 'finished', error: 'git fetch failed: <cache>/mirrors/abc: bad object' },
    ]);
  });
});
