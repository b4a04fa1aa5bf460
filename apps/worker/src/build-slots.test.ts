import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimBuildSlots } from './build-slots.js';

// Real lock files and real processes (a live `sleep`, a finished `true`).
describe('build slots', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-slots-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each host its own slots, and each process slots no other live process holds', async () => {
    const a = await claimBuildSlots(dir, 2, 'host-a');
    const b = await claimBuildSlots(dir, 1, 'host-b');
    expect(a.dirs).toEqual([join(dir, 'kbuild', 'host-a', 'slot-0'), join(dir, 'kbuild', 'host-a', 'slot-1')]);
    expect(b.dirs).toEqual([join(dir, 'kbuild', 'host-b', 'slot-0')]);
    // A second worker in this same process (same host) does not get the first one's slots.
    const again = await claimBuildSlots(dir, 1, 'host-a');
    expect(again.dirs).toEqual([join(dir, 'kbuild', 'host-a', 'slot-2')]);
    for (const s of [a, b, again]) await s.release();
    expect(await readdir(join(dir, 'kbuild', 'host-a'))).toEqual([]);
  });

  it('skips a slot a live process holds and takes over one whose process is gone', async () => {
    const base = join(dir, 'kbuild', 'host-c');
    await mkdir(base, { recursive: true });
    const live = execa('sleep', ['30']);
    const gone = execa('true');
    await gone;
    try {
      await writeFile(join(base, 'slot-0.lock'), `${live.pid}\n`);
      await writeFile(join(base, 'slot-1.lock'), `${gone.pid}\n`);
      const s = await claimBuildSlots(dir, 2, 'host-c');
      expect(s.dirs).toEqual([join(base, 'slot-1'), join(base, 'slot-2')]);
      await s.release();
    } finally {
      live.kill('SIGKILL');
      await live.catch(() => undefined);
    }
  });

  it('names a host safely', async () => {
    const s = await claimBuildSlots(dir, 1, '../evil host');
    expect(s.dirs[0]).toBe(join(dir, 'kbuild', '___evil_host', 'slot-0'));
    const dots = await claimBuildSlots(dir, 1, '..');
    expect(dots.dirs[0]).toBe(join(dir, 'kbuild', '__', 'slot-0'));
    for (const x of [s, dots]) await x.release();
  });
});
