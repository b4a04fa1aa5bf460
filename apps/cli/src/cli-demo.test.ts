import { resolve } from 'node:path';
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
});
