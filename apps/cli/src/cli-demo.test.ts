import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');

describe('kbisect demo', () => {
  it('says in one line why the demo history cannot be built, and starts nothing', async () => {
    const res = await execa('node', [BIN, 'demo'], { reject: false, env: { ...process.env, KBISECT_DEMO_FIXTURE_DIR: '/proc/kbisect-no-such-dir' } });
    expect(res.exitCode).toBe(1);
    const last = res.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^kbisect: cannot build the demo history: .*kbisect-no-such-dir/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('--quick: with --untestable narrow, names the injected culprit (forced) beside the honest stretch, testing only the stretch forced', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'kbisect-demo-quick-'));
    try {
      const res = await execa('node', [BIN, 'demo', '--quick', '--cache-dir', cache], { reject: false });
      expect(res.exitCode, res.stderr).toBe(0);
      const injected = /The true culprit ([0-9a-f]{12}) is in the answer/.exec(res.stdout)?.[1];
      expect(injected).toBeDefined();
      const narrowPart = res.stdout.slice(res.stdout.indexOf('Again with --untestable narrow'));
      expect(narrowPart).toMatch(/could be any of:/);
      expect(narrowPart).toMatch(new RegExp(`^${injected}[0-9a-f]{28} is the first bad commit \\(forced\\)$`, 'm'));
      expect(narrowPart).toMatch(/Honest answer unchanged: yes; forced culprit is the injected one .*forced tests: [1-4], all within/);
      // The forced runs are labelled as such on the progress lines, and only stretch commits were built forced.
      const forcedLines = res.stderr.split('\n').filter((l) => l.includes('(narrowing, forced)'));
      expect(forcedLines.length).toBeGreaterThan(0);
      expect(forcedLines.every((l) => !l.includes('"mm: re-enable THP"'))).toBe(true);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  }, 120_000);
});
