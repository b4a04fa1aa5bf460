import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxConcurrent } from './concurrency.js';
import { startBarrier } from './start-barrier.js';

describe('startBarrier', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'kbisect-barrier-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('makes three runs started a second apart overlap, and a fourth started after them not wait', async () => {
    const log = join(dir, 'runs.log');
    await writeFile(log, '');
    const script = `echo "start $(date +%s%3N) $1" >> "$2"\n${startBarrier('"$2"', 3, '$1')}echo "end $(date +%s%3N) $1" >> "$2"\n`;
    const runs = [];
    for (const name of ['a', 'b', 'c']) {
      runs.push(execa('sh', ['-c', script, 'sh', name, log]));
      await new Promise((r) => setTimeout(r, 1000));
    }
    await Promise.all(runs);
    const started = Date.now();
    await execa('sh', ['-c', script, 'sh', 'd', log]);
    // A wait would last the 60 s default; the margin is for a loaded machine's process start.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(maxConcurrent((await readFile(log, 'utf8')).split('\n').filter(Boolean))).toBe(3);
  }, 30_000);

  it('counts only the start lines that end with the given word, and gives up after maxSec', async () => {
    const log = join(dir, 'mixed.log');
    await writeFile(log, 'start 1 x other\nstart 2 y other\nstart 3 z mine\n');
    const started = Date.now();
    await execa('sh', ['-c', startBarrier(`'${log}'`, 2, 'z', { only: '"$1"', maxSec: 1 }), 'sh', 'mine']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const quick = Date.now();
    await execa('sh', ['-c', startBarrier(`'${log}'`, 2, 'y', { only: '"$1"', maxSec: 30 }), 'sh', 'other']);
    expect(Date.now() - quick).toBeLessThan(10_000);
  }, 30_000);
});
