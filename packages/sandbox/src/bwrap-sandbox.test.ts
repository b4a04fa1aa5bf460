/**
 * The bubblewrap adapter against the real programs (bwrap, prlimit,
 * setpriv, sh): what a command sees, what it may write, how much of its
 * output is kept, and that a timeout or a cancel leaves no process behind.
 * Needs scripts/setup (bubblewrap, the kbisect-sandbox user when run as root).
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSandbox, SANDBOX_OFF_NOTICE } from './open-sandbox.js';
import type { Sandbox } from './sandbox-spec.js';

let dir: string;
let sandbox: Sandbox;
const secret = `kbisect-sandbox-secret-${process.pid}-${Date.now()}`;

async function alive(marker: string): Promise<number[]> {
  const r = await execa('pgrep', ['-f', marker], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).map(Number);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-sandbox-test-'));
  const opened = await openSandbox('on', 'kbisect-sandbox');
  expect(opened.status, 'reason' in opened ? opened.reason : '').toBe('ready');
  sandbox = opened.sandbox;
});
afterAll(async () => {
  for (const pid of await alive(dir)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('the bwrap sandbox', () => {
  it('starts from a cleared environment: the allow-list and the caller’s allowed variables only', async () => {
    process.env.KBISECT_TEST_SECRET = secret;
    try {
      const r = await sandbox.run({ argv: ['/usr/bin/env'], cwd: '/', env: { KBISECT_COMMIT: 'c0ffee' }, timeoutMs: 10_000 });
      expect(r.exitCode).toBe(0);
      expect(r.output).not.toContain(secret);
      expect(r.output.trim().split('\n').map((l) => l.split('=')[0]).sort()).toEqual(['HOME', 'KBISECT_COMMIT', 'LANG', 'LC_ALL', 'PATH', 'PWD', 'TMPDIR']);
    } finally {
      delete process.env.KBISECT_TEST_SECRET;
    }
  });

  it('writes only where it is allowed, as an unprivileged uid, and sees nothing it was not given', async () => {
    const work = join(dir, 'work');
    const src = join(dir, 'src');
    const hidden = join(dir, 'hidden');
    await Promise.all([mkdir(work), mkdir(src), mkdir(hidden)]);
    await writeFile(join(src, 'root-only'), secret, { mode: 0o600 });
    await writeFile(join(hidden, 'token'), secret);
    const script = [
      'id -u', 'echo made > out.txt && echo wrote-work', 'echo t > /tmp/t && echo t > "$HOME/h" && echo wrote-tmp',
      `(echo x > ${src}/new) 2>/dev/null || echo src-read-only`,
      `cat ${src}/root-only 2>/dev/null || echo root-only-unreadable`,
      `cat ${hidden}/token 2>/dev/null || echo hidden-invisible`,
      'ls /root /var /home 2>/dev/null | wc -l',
    ].join('; ');
    const r = await sandbox.run({ argv: ['/bin/sh', '-c', script], cwd: work, writable: [work], readOnly: [src], timeoutMs: 10_000 });
    const lines = r.output.trim().split('\n');
    expect(Number(lines[0])).toBeGreaterThan(0);
    expect(lines.slice(1)).toEqual(['wrote-work', 'wrote-tmp', 'src-read-only', 'root-only-unreadable', 'hidden-invisible', '0']);
    expect(r.output).not.toContain(secret);
    expect((await stat(join(work, 'out.txt'))).uid).toBe(Number(lines[0]));
    expect(r.isolation).toBe('bwrap');
  });

  it('keeps the head and tail of a flood of output and counts the rest', async () => {
    const r = await sandbox.run({ argv: ['/bin/sh', '-c', 'echo FIRST; head -c 20000000 /dev/zero | tr "\\0" x; echo; echo LAST'], cwd: '/', timeoutMs: 30_000, output: { headBytes: 1000, tailBytes: 1000 } });
    expect(r.exitCode).toBe(0);
    expect(r.outputBytes).toBe(6 + 20_000_000 + 1 + 5);
    expect(r.elidedBytes).toBe(r.outputBytes - 2000);
    expect(r.output.startsWith('FIRST\n')).toBe(true);
    expect(r.output.endsWith('LAST\n')).toBe(true);
    expect(r.output.length).toBeLessThan(2200);
  });

  it('streams the same capped text into a log file', async () => {
    const log = join(dir, 'make.log');
    const r = await sandbox.run({ argv: ['/bin/sh', '-c', 'seq 1 100000'], cwd: '/', timeoutMs: 10_000, output: { headBytes: 100, tailBytes: 100 }, logFile: log });
    expect(await readFile(log, 'utf8')).toBe(r.output);
    expect(r.output).toContain('bytes of output elided');
  });

  // bash for `exec -a`: each sleeper carries a marker naming this test's dir, so pgrep finds exactly ours.
  const sleeper = (marker: string): string => `setsid /bin/bash -c 'exec -a ${marker} sleep 300' < /dev/null > /dev/null 2>&1 &`;
  // Anchored: the sleeper itself (argv0 = marker), not bwrap's or bash's command line that merely names it.
  async function seen(marker: string): Promise<boolean> {
    for (let i = 0; i < 50; i++, await new Promise((res) => setTimeout(res, 100))) if ((await alive(`^${marker} `)).length > 0) return true;
    return false;
  }

  it('a timeout kills the whole PID namespace, setsid sleepers included', async () => {
    const marker = `${dir}/sleeper-timeout`;
    const running = sandbox.run({ argv: ['/bin/bash', '-c', `${sleeper(marker)} exec -a ${marker}-main sleep 300`], cwd: '/', timeoutMs: 4000 });
    expect(await seen(marker)).toBe(true);
    const r = await running;
    expect(r.stopped).toBe('timed-out');
    expect(r.durationMs).toBeLessThan(10_000);
    await new Promise((res) => setTimeout(res, 300));
    expect(await alive(marker)).toEqual([]);
  });

  it('a normal exit leaves no process behind either', async () => {
    const marker = `${dir}/sleeper-exit`;
    const running = sandbox.run({ argv: ['/bin/bash', '-c', `${sleeper(marker)} sleep 2; echo done`], cwd: '/', timeoutMs: 20_000 });
    expect(await seen(marker)).toBe(true);
    const r = await running;
    expect(r.exitCode).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    expect(await alive(marker)).toEqual([]);
  });

  it('cancelling kills the namespace', async () => {
    const marker = `${dir}/sleeper-cancel`;
    const controller = new AbortController();
    const running = sandbox.run({ argv: ['/bin/bash', '-c', `${sleeper(marker)} sleep 300`], cwd: '/', timeoutMs: 60_000, signal: controller.signal });
    expect(await seen(marker)).toBe(true);
    controller.abort();
    const r = await running;
    expect(r.stopped).toBe('cancelled');
    await new Promise((res) => setTimeout(res, 300));
    expect(await alive(marker)).toEqual([]);
  });

  it('a cancel that lands while bwrap is still setting up ends the run and leaves nothing behind', async () => {
    for (const delayMs of [0, 5, 20, 60]) {
      const marker = `${dir}/sleeper-early-${delayMs}`;
      const controller = new AbortController();
      const running = sandbox.run({ argv: ['/bin/bash', '-c', `${sleeper(marker)} sleep 300`], cwd: '/', timeoutMs: 60_000, signal: controller.signal });
      setTimeout(() => controller.abort(), delayMs);
      const r = await running;
      expect(r.stopped).toBe('cancelled');
      expect(r.durationMs).toBeLessThan(10_000);
      await new Promise((res) => setTimeout(res, 300));
      expect(await alive(marker)).toEqual([]);
    }
  });

  it('has no network unless asked: a listening port on the host sees no connection', async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.end();
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    try {
      const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected || echo refused`;
      const none = await sandbox.run({ argv: ['/bin/bash', '-c', probe], cwd: '/', timeoutMs: 10_000 });
      expect(none.output).toContain('refused');
      expect(connections).toBe(0);
      // The same probe with the network granted does connect: the test can tell.
      const host = await sandbox.run({ argv: ['/bin/bash', '-c', probe], cwd: '/', timeoutMs: 10_000, network: 'host' });
      expect(host.output).toContain('connected');
      await new Promise((res) => setTimeout(res, 100));
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });

  it('bounds file size', async () => {
    const work = join(dir, 'fsize');
    await mkdir(work);
    const r = await sandbox.run({ argv: ['/bin/sh', '-c', 'head -c 3000000 /dev/zero > big; echo rc=$?; wc -c < big'], cwd: work, writable: [work], timeoutMs: 10_000, limits: { fileSizeBytes: 1_000_000 } });
    expect(r.output).toMatch(/rc=(?!0)/);
    expect(r.output.trim().split('\n').at(-1)).toBe('1000000');
  });
});

describe('opening the sandbox', () => {
  it('off: runs unconfined and says so in the output', async () => {
    const opened = await openSandbox('off', 'kbisect-sandbox');
    expect(opened.status).toBe('off');
    const r = await opened.sandbox.run({ argv: ['/bin/echo', 'hi'], cwd: '/', timeoutMs: 10_000 });
    expect(r.output).toBe(`${SANDBOX_OFF_NOTICE}hi\n`);
    expect(r.isolation).toBe('none');
  });

  it.skipIf(process.getuid?.() !== 0)('without its user: unavailable, and every run is refused with the reason', async () => {
    const opened = await openSandbox('on', 'kbisect-no-such-user');
    expect(opened.status).toBe('unavailable');
    await expect(opened.sandbox.run({ argv: ['/bin/true'], cwd: '/', timeoutMs: 1000 })).rejects.toMatchObject({ code: 'KBISECT_ERR_SANDBOX_UNAVAILABLE', category: 'configuration', message: expect.stringContaining("no system user 'kbisect-no-such-user'") });
  });
});
