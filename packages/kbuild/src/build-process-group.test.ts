import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSandbox, type Sandbox } from '@kbisect/sandbox';
import { killStaleGroup } from './build-process-group.js';
import { runMake } from './kernel-make.js';

/** PIDs of live processes whose command line contains `marker`. */
async function processesNaming(marker: string): Promise<number[]> {
  const r = await execa('pgrep', ['-f', marker], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).map(Number);
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await check()) return true;
  return check();
}

// Real processes: make, sh and sleep in process groups of their own.
describe('build process groups', () => {
  let dir: string;
  let sandbox: Sandbox;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-pgroup-'));
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'out'));
    const opened = await openSandbox('on', 'kbisect-sandbox');
    expect(opened.status).toBe('ready');
    sandbox = opened.sandbox;
    // A "kernel tree" whose build starts two long "compilers" (sleep, under a name inside the tree).
    await symlink('/bin/sleep', join(dir, 'src', 'fakecc'));
    await writeFile(join(dir, 'src', 'Makefile'), `all:\n\t$(CURDIR)/fakecc 300 & $(CURDIR)/fakecc 301; wait\n`);
  });
  afterAll(async () => {
    for (const pid of await processesNaming(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('a timeout kills make and everything it started', async () => {
    const r = await runMake(['all'], { srcDir: join(dir, 'src'), outDir: join(dir, 'out'), cc: 'gcc', sandbox, timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(await until(async () => (await processesNaming(`^${dir}/src/fakecc 30[01]`)).length === 0)).toBe(true);
  });

  it('aborting its signal (a build ahead made moot) kills make and everything it started, and says cancelled', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const run = runMake(['all'], { srcDir: join(dir, 'src'), outDir: join(dir, 'out'), cc: 'gcc', sandbox, timeoutMs: 600_000, signal: stop.signal });
    expect(await until(async () => (await processesNaming(`^${dir}/src/fakecc 301`)).length === 1)).toBe(true);
    stop.abort();
    const r = await run;
    expect(r).toMatchObject({ cancelled: true, timedOut: false });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await until(async () => (await processesNaming(`^${dir}/src/fakecc 30[01]`)).length === 0)).toBe(true);
  }, 30_000);

  it('in the sandbox, a build whose worker was SIGKILLed dies with it', async () => {
    const work = join(dir, 'work-bwrap');
    await mkdir(join(work, 'out'), { recursive: true });
    const kernelMake = resolve(import.meta.dirname, 'kernel-make.ts');
    const worker = execa('node', ['--import', 'tsx', '--input-type=module', '-e',
      `const { openSandbox } = await import('@kbisect/sandbox'); const { runMake } = await import(${JSON.stringify(kernelMake)}); const { sandbox } = await openSandbox('on', 'kbisect-sandbox'); await runMake(['all'], { srcDir: ${JSON.stringify(join(dir, 'src'))}, outDir: ${JSON.stringify(join(work, 'out'))}, cc: 'gcc', sandbox, timeoutMs: 600000 });`,
    ], { reject: false, cwd: resolve(import.meta.dirname, '..') });
    expect(await until(async () => (await processesNaming(`^${dir}/src/fakecc 301`)).length === 1)).toBe(true);
    worker.kill('SIGKILL');
    await worker;
    // --die-with-parent: bwrap's PID 1 gets SIGKILL with the worker, and the namespace with it.
    expect(await until(async () => (await processesNaming(`^${dir}/src/fakecc 30[01]`)).length === 0)).toBe(true);
  }, 30_000);

  it('unconfined, a build whose worker was SIGKILLed is killed by the next build in that work dir, and only then', async () => {
    const work = join(dir, 'work');
    await mkdir(work, { recursive: true });
    await mkdir(join(work, 'out'), { recursive: true });
    const groupFile = join(work, 'make.pgid');
    const kernelMake = resolve(import.meta.dirname, 'kernel-make.ts');
    // A worker process that starts the build and is then killed outright.
    const worker = execa('node', ['--import', 'tsx', '--input-type=module', '-e',
      `const { unconfinedSandbox } = await import('@kbisect/sandbox'); const { runMake } = await import(${JSON.stringify(kernelMake)}); await runMake(['all'], { srcDir: ${JSON.stringify(join(dir, 'src'))}, outDir: ${JSON.stringify(join(work, 'out'))}, cc: 'gcc', sandbox: unconfinedSandbox(), timeoutMs: 600000, groupFile: ${JSON.stringify(groupFile)} });`,
    ], { reject: false, cwd: resolve(import.meta.dirname, '..') });
    expect(await until(async () => (await processesNaming(`^${dir}/src/fakecc 301`)).length === 1 && (await readFile(groupFile, 'utf8').catch(() => '')) !== '')).toBe(true);
    worker.kill('SIGKILL');
    await worker;
    // The worker is gone; its make and compilers are not.
    const orphans = await processesNaming(`^${dir}/src/fakecc 30[01]`);
    expect(orphans).toHaveLength(2);
    // A process group that does not name this work dir (a reused PID) is left alone.
    const pgid = (await readFile(groupFile, 'utf8')).trim();
    expect(await killStaleGroup(groupFile, join(dir, 'another-work-dir'))).toEqual([]);
    expect(await processesNaming(`^${dir}/src/fakecc 30[01]`)).toHaveLength(2);
    // The next build in the work dir kills the whole group: make, its shell, both compilers.
    await writeFile(groupFile, pgid);
    const killed = await killStaleGroup(groupFile, work);
    expect(killed).toEqual(expect.arrayContaining([Number(pgid), ...orphans]));
    expect(await processesNaming(`^${dir}/src/fakecc 30[01]`)).toEqual([]);
    expect(await readFile(groupFile, 'utf8').catch(() => 'removed')).toBe('removed');
  }, 30_000);
});
