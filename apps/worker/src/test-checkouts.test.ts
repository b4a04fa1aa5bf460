/**
 * The test slots' checkout pool, with fake checkouts: a job holds its slot
 * while it runs, a slot reuses its checkout of a repository, keeps only the
 * most recently used ones and disposes the rest. (Real git through the real
 * test worker: test/service-test-checkouts.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Checkout } from '@kbisect/git';
import { testCheckouts, type CheckoutOpener } from './test-checkouts.js';

function fakeOpener(): CheckoutOpener & { opened: string[]; disposed: string[] } {
  const opened: string[] = [];
  const disposed: string[] = [];
  return {
    opened, disposed,
    openCheckout(dir: string): Checkout {
      opened.push(dir);
      return { dir, checkout: async () => undefined, revert: async () => undefined, dispose: async () => void disposed.push(dir) };
    },
  };
}

describe('test checkouts', () => {
  it('gives concurrent jobs different slots, and refuses one more than there are slots', async () => {
    const pool = testCheckouts(['/s/slot-0', '/s/slot-1']);
    const repo = fakeOpener();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const dirs: string[] = [];
    const first = pool.use('repo-a', repo, async (c) => {
      dirs.push(c.dir);
      await held;
    });
    const second = pool.use('repo-a', repo, async (c) => {
      dirs.push(c.dir);
      await held;
    });
    await expect(pool.use('repo-a', repo, async () => undefined)).rejects.toMatchObject({ code: 'KBISECT_ERR_INFRASTRUCTURE' });
    release();
    await Promise.all([first, second]);
    expect(dirs.map((d) => d.split('/')[2])).toEqual(['slot-0', 'slot-1']);
    expect(dirs[0]!.split('/')[3]).toBe(dirs[1]!.split('/')[3]);
  });

  it('reuses a slot\'s checkout of a repository, disposes the least recently used beyond its limit, and all at close', async () => {
    const pool = testCheckouts(['/s/slot-0'], 2);
    const repo = fakeOpener();
    const dirOf = (source: string): Promise<string> => pool.use(source, repo, async (c) => c.dir);
    const a = await dirOf('repo-a');
    const b = await dirOf('repo-b');
    expect(await dirOf('repo-a')).toBe(a);
    expect(repo.opened).toEqual([a, b]);
    // repo-b is now the least recently used: a third repository pushes it out.
    const c = await dirOf('repo-c');
    expect(repo.disposed).toEqual([b]);
    expect(new Set([a, b, c]).size).toBe(3);
    // A failing job still frees its slot.
    await expect(pool.use('repo-a', repo, async () => Promise.reject(new Error('test broke')))).rejects.toThrow('test broke');
    expect(await dirOf('repo-a')).toBe(a);
    await pool.close();
    expect(repo.disposed.sort()).toEqual([a, b, c].sort());
  });
});
