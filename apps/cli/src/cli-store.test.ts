/**
 * `kbisect store` as docker-compose's store service runs it: its own
 * process, credentials from a file, a port the OS picks. Anonymous uploads
 * are refused, a build credential's go through and a lab credential reads
 * them back checked, and SIGTERM ends it cleanly.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactDisk, StoreClient } from '@kbisect/artifact-store';
import { hashToken } from '@kbisect/service';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
const BUILD_TOKEN = 'cli-store-build-token-0123456789';
const LAB_TOKEN = 'cli-store-lab-token-0123456789ab';
const KEY = 'a1'.repeat(32);

let dir: string;
let credentialsFile: string;
const startStore = (env: NodeJS.ProcessEnv) => execa('node', [BIN, 'store', '--port', '0', '--state-dir', dir], { env: { ...process.env, KBISECT_LOG_LEVEL: 'warn', ...env }, reject: false, stdin: 'ignore', timeout: 120_000 });
let store: ReturnType<typeof startStore>;
let storeErr = '';
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-cli-store-'));
  credentialsFile = join(dir, 'store-tokens.json');
  await writeFile(credentialsFile, JSON.stringify({ tokens: [{ name: 'builder', role: 'build', sha256: hashToken(BUILD_TOKEN) }, { name: 'lab1', role: 'lab', sha256: hashToken(LAB_TOKEN) }] }));
  store = startStore({ KBISECT_STORE_CREDENTIALS_FILE: credentialsFile });
  store.stderr?.on('data', (d: Buffer) => (storeErr += d.toString()));
  for (let i = 0; i < 600 && !storeErr.includes('artifact store on'); i++) await new Promise((r) => setTimeout(r, 100));
  const at = /artifact store on (http:\/\/127\.0\.0\.1:\d+)\/store\/v1 \(primary, 50\.0 GB in (\S+)\)/.exec(storeErr);
  if (!at) throw new Error(`kbisect store did not start: ${storeErr}`);
  url = at[1]!;
}, 90_000);

afterAll(async () => {
  if (store.exitCode === null) store.kill('SIGTERM');
  await store;
  await rm(dir, { recursive: true, force: true });
});

describe('kbisect store', () => {
  it('keeps its data under the state dir and answers healthz without a credential', async () => {
    expect(storeErr).toContain(`in ${join(dir, 'store')})`);
    const health = await fetch(`${url}/store/v1/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, bytes: 0, limitBytes: 50 * 1024 ** 3, mode: 'store' });
  });

  it('refuses an anonymous upload with 401', async () => {
    const res = await fetch(`${url}/store/v1/artifacts/${KEY}/files/bzImage`, {
      method: 'PUT', body: 'x', headers: { 'content-type': 'application/octet-stream', 'x-kbisect-sha256': createHash('sha256').update('x').digest('hex') },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_STORE_UNAUTHENTICATED' } });
  });

  it('takes an upload with a build credential and hands a lab credential a checked copy', async () => {
    const files = join(dir, 'kernel');
    await writeFile(files, 'a kernel image');
    const manifest = await new StoreClient(url, BUILD_TOKEN).upload(KEY, [{ name: 'bzImage', path: files }]);
    expect(manifest).toMatchObject({ key: KEY, size: 14, files: [{ name: 'bzImage', size: 14 }] });
    const lab = new StoreClient(url, LAB_TOKEN);
    expect(await lab.has(KEY)).toBe(true);
    const disk = await ArtifactDisk.open(join(dir, 'lab-cache'), 1024 ** 2);
    await lab.pull(KEY, disk, new Set());
    expect(await readFile(disk.filePath(KEY, 'bzImage'), 'utf8')).toBe('a kernel image');
    // A lab credential reads, never writes.
    await expect(lab.upload('b2'.repeat(32), [{ name: 'bzImage', path: files }])).rejects.toMatchObject({ code: 'KBISECT_ERR_STORE_FORBIDDEN' });
  });

  it('refuses to start without a credentials file, naming the variable', async () => {
    const open = await execa('node', [BIN, 'store', '--port', '0', '--state-dir', dir], { env: { ...process.env, KBISECT_STORE_CREDENTIALS_FILE: '' }, reject: false, stdin: 'ignore', timeout: 60_000 });
    expect(open.exitCode).toBe(1);
    expect(open.stderr.trim()).toBe('kbisect: KBISECT_STORE_CREDENTIALS_FILE: required (the store refuses to run open)');
  });

  it('ends cleanly on SIGTERM: exit code 0, the port closed', async () => {
    store.kill('SIGTERM');
    const ended = await store;
    expect(ended.exitCode, ended.stderr).toBe(0);
    expect(ended.stderr).not.toMatch(/error/i);
    await expect(fetch(`${url}/store/v1/healthz`)).rejects.toThrow();
  });
});
