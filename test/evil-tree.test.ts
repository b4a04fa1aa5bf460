/**
 * The evil tree (issue 15): a repository shaped enough like a kernel tree
 * for the build path (a Makefile with VERSION/PATCHLEVEL whose tinyconfig
 * writes a .config, and a scripts/get_maintainer.pl) whose code tries to
 * read a token file, a BMC password file, a Redis data dir, the request key
 * the API and workers share, and the worker's environment, connects to the API's port and to a listening port of the
 * test, and leaves `setsid` sleepers. Submitted over the real API as a
 * kernel probe and built by the real build worker in its bwrap sandbox; the
 * bisection ends (every build is a planted compile error, so: ambiguous)
 * and the report's get_maintainer.pl runs too. Then no secret appears in
 * any evidence, error, log line or response, no connection was made, and
 * no process outlived the build. Real Redis, git, bwrap, make.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitOpener, startWorkers, workerConfigFromEnv } from '@kbisect/worker';
import { GIT_ENV } from './support/git-fixture.js';
import { REDIS_URL } from './support/redis-namespace.js';
import { startHarness, type Harness } from './support/service-harness.js';

interface Verdict { commit: string; verdict: string; reason: string; evidence?: string; buildEvidence?: string }
interface View { status: string; error?: string; candidates?: string[]; verdicts: Verdict[] }

const stamp = `${process.pid}-${Date.now()}`;
const SECRETS = {
  token: `evil-secret-token-file-${stamp}`,
  bmc: `evil-secret-bmc-password-${stamp}`,
  redis: `evil-secret-redis-aof-${stamp}`,
  env: `evil-secret-worker-env-${stamp}`,
};

async function alive(marker: string): Promise<number[]> {
  const r = await execa('pgrep', ['-f', marker], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).map(Number);
}

describe('an evil tree built as a kernel probe', () => {
  let h: Harness;
  let secrets: string;
  let trap: Server;
  let trapConnections = 0;
  const logLines: string[] = [];

  beforeAll(async () => {
    // World-readable on purpose: what keeps them out is that the sandbox does not show them, not their modes.
    secrets = await mkdtemp(join(tmpdir(), 'kbisect-evil-secrets-'));
    await mkdir(join(secrets, 'bmc'));
    await mkdir(join(secrets, 'redis'));
    await writeFile(join(secrets, 'tokens.json'), JSON.stringify({ tokens: [{ name: 'admin', sha256: SECRETS.token }] }), { mode: 0o644 });
    await writeFile(join(secrets, 'bmc', 'vm1'), SECRETS.bmc, { mode: 0o644 });
    await writeFile(join(secrets, 'redis', 'appendonly.aof'), `*3\r\n$3\r\nSET\r\n$6\r\nsecret\r\n$${SECRETS.redis.length}\r\n${SECRETS.redis}\r\n`, { mode: 0o644 });
    process.env.KBISECT_EVIL_TEST_SECRET = SECRETS.env;
    trap = createServer((s) => {
      trapConnections++;
      s.end();
    });
    await new Promise<void>((res) => trap.listen(0, '127.0.0.1', res));
    h = await startHarness('evil', { inProcessWorkers: false });
    // The real workers, logging into memory so the test can read every line they write.
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(chunk.toString()); done(); } });
    h.workers = await startWorkers(workerConfigFromEnv({ ...h.env, KBISECT_BUILD_JOBS: '1' }, ['orchestrator', 'build'], { cacheDir: h.cacheDir }), { openRepo: gitOpener(h.cacheDir), logger: pino({ level: 'debug' }, sink) });
  }, 60_000);

  afterAll(async () => {
    delete process.env.KBISECT_EVIL_TEST_SECRET;
    for (const pid of await alive(`kbisect-evil-sleeper-${stamp}`)) process.kill(pid, 'SIGKILL');
    trap?.close();
    await h?.close();
    await rm(secrets, { recursive: true, force: true });
  }, 60_000);

  it('leaks nothing, connects nowhere and leaves no process behind', async () => {
    const apiPort = new URL(h.url).port;
    // The harness's real secrets too: the request key the API signs with (a forger's prize), and Redis's password if it has one.
    const keyFile = h.env.KBISECT_REQUEST_KEY_FILE!;
    const redisPassword = new URL(REDIS_URL).password;
    const checked: Record<string, string> = { ...SECRETS, requestKey: (await readFile(keyFile, 'utf8')).trim(), ...(redisPassword ? { redisPassword: decodeURIComponent(redisPassword) } : {}) };
    const trapPort = (trap.address() as { port: number }).port;
    const marker = `kbisect-evil-sleeper-${stamp}`;
    const attempts = [
      'echo "EVIL-RAN $@ as $$(id -u)"',
      `cat ${join(secrets, 'tokens.json')} 2>&1 || echo token:unreadable`,
      `cat ${join(secrets, 'bmc', 'vm1')} 2>&1 || echo bmc:unreadable`,
      `cat ${join(secrets, 'redis', 'appendonly.aof')} /var/lib/redis/* 2>&1 || echo redis:unreadable`,
      `cat ${keyFile} 2>&1 || echo key:unreadable`,
      'env; cat /proc/1/environ /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; echo env:dumped',
      `(exec 3<>/dev/tcp/127.0.0.1/${apiPort}) 2>/dev/null && echo api:connected || echo api:refused`,
      `(exec 3<>/dev/tcp/127.0.0.1/${trapPort}) 2>/dev/null && echo trap:connected || echo trap:refused`,
      `setsid bash -c 'exec -a ${marker} sleep 300' </dev/null >/dev/null 2>&1 & echo sleeper:started`,
    ];
    const makefile = [
      'VERSION = 6', 'PATCHLEVEL = 1', 'SUBLEVEL = 0', 'SHELL := /bin/bash', '',
      '.PHONY: tinyconfig olddefconfig bzImage modules',
      'tinyconfig olddefconfig bzImage modules:',
      ...attempts.map((a) => `\t@${a}`),
      '\t@if [ "$@" = tinyconfig ]; then echo "CONFIG_64BIT=y" > $(O)/.config; fi',
      '\t@if [ "$@" = bzImage ]; then echo "init/evil.c:1:1: error: planted compile error"; exit 2; fi',
      '',
    ].join('\n');
    const maintainerScript = [
      'print "EVIL-MAINTAINER\\n";',
      'print "env:$_=$ENV{$_}\\n" for sort keys %ENV;',
      ...[join(secrets, 'tokens.json'), join(secrets, 'bmc', 'vm1'), join(secrets, 'redis', 'appendonly.aof'), keyFile].map((f) => `print "file:", (open(my $f, "<", "${f}") ? <$f> : "unreadable"), "\\n";`),
      'print "Evil Maintainer <evil\\@example.org>\\n";',
    ].join('\n');

    const repo = await mkdtemp(join(tmpdir(), 'kbisect-evil-tree-'));
    try {
      await execa('git', ['init', '-q', '-b', 'main', repo], { env: GIT_ENV });
      await mkdir(join(repo, 'scripts'));
      await writeFile(join(repo, 'Makefile'), makefile);
      await writeFile(join(repo, 'scripts', 'get_maintainer.pl'), maintainerScript);
      const shas: string[] = [];
      for (let i = 0; i < 3; i++) {
        await writeFile(join(repo, 'version.txt'), `${i}\n`);
        await execa('git', ['-C', repo, 'add', '-A'], { env: GIT_ENV });
        await execa('git', ['-C', repo, 'commit', '-q', '-m', `step ${i}`], { env: { ...GIT_ENV, GIT_AUTHOR_NAME: 'Eve', GIT_AUTHOR_EMAIL: 'eve@example.org', GIT_COMMITTER_NAME: 'Eve', GIT_COMMITTER_EMAIL: 'eve@example.org' } });
        shas.push((await execa('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout.trim());
      }

      // A lab machine whose BMC password is the planted file, as an operator registers one.
      const machine = await h.fetchJson('POST', '/api/v1/machines', {
        id: 'vm1', pool: 'evil', mac: '52:54:00:00:00:01', bmc: { host: '127.0.0.1', port: 9623, user: 'admin', password: { file: join(secrets, 'bmc', 'vm1') } },
        console: { type: 'sol' }, pxe: { tftpRoot: join(secrets, 'tftp') },
      });
      expect(machine.status, JSON.stringify(machine.body)).toBe(201);
      const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
        repo: await h.registerTree(repo, 'evil'), good: [shas[0]], bad: shas[2],
        probe: { type: 'kernel', configFragments: [], pool: 'evil', reproducer: { name: 'vfio-pin-check', args: [] } },
        options: { checkEndpoints: false },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.id;
      let view: View | undefined;
      for (const end = Date.now() + 180_000; Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
        view = (await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`)).body;
        if (['found', 'ambiguous', 'failed', 'cancelled'].includes(view.status)) break;
      }
      // Every build was a planted compile error: skips, so only skipped commits are left.
      expect(view?.status, JSON.stringify(view)).toBe('ambiguous');
      const built = view!.verdicts.filter((v) => v.buildEvidence);
      expect(built.length).toBeGreaterThan(0);

      // Everything a reader can get about the bisection.
      const texts: string[] = [JSON.stringify(view)];
      for (const v of built) {
        const res = await fetch(`${h.url}/api/v1/bisections/${id}/evidence/${v.buildEvidence!}`, { headers: { authorization: 'Bearer test-admin-token' } });
        expect(res.status).toBe(200);
        const log = await res.text();
        // The tree's code did run, and every attempt was answered by the sandbox.
        expect(log).toContain('EVIL-RAN tinyconfig as ');
        expect(log).toContain('EVIL-RAN bzImage as ');
        expect(log).not.toMatch(/EVIL-RAN \w+ as 0\b/);
        for (const refused of ['token:unreadable', 'bmc:unreadable', 'redis:unreadable', 'key:unreadable', 'env:dumped', 'api:refused', 'trap:refused', 'sleeper:started']) expect(log).toContain(refused);
        expect(log).not.toContain('REDIS_URL');
        texts.push(log);
      }
      const get = async (path: string): Promise<string> => {
        const res = await fetch(`${h.url}/api/v1/bisections/${id}/${path}`, { headers: { authorization: 'Bearer test-admin-token' } });
        expect(res.status, path).toBe(200);
        return res.text();
      };
      for (const path of ['log', 'report']) texts.push(await get(path));
      const mail = await get('report?format=mbox');
      texts.push(mail);
      // Every event the stream (SSE) would send, straight from Redis.
      const redis = new Redis(REDIS_URL);
      try {
        // The view answers from the verdicts; the orchestrator records the report facts, then `finished`.
        let events: [string, string[]][] = [];
        for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
          events = await redis.xrange(`${h.namespace}:b:${id}:log`, '-', '+');
          if (events.some(([, f]) => f.join(' ').includes('"type":"finished"'))) break;
        }
        expect(events.length).toBeGreaterThan(3);
        texts.push(JSON.stringify(events));
        // The tree's get_maintainer.pl ran on the candidates (its output is the report's recipients) and saw nothing either.
        const facts = events.map(([, fields]) => fields.join(' ')).find((f) => f.includes('report-facts'));
        expect(facts).toContain('EVIL-MAINTAINER');
        expect(facts).toContain('file:unreadable');
      } finally {
        redis.disconnect();
      }
      texts.push(...logLines);

      for (const [what, secret] of Object.entries(checked)) {
        for (const t of texts) expect(t.includes(secret), `the ${what} secret leaked into: ${t.slice(0, 200)}`).toBe(false);
      }
      expect(trapConnections).toBe(0);
      expect(await alive(marker)).toEqual([]);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  }, 240_000);
});
