/**
 * The boot file server over real HTTP (Node's fetch and raw sockets against
 * node:http): per-boot URLs serve exactly their two files with a length,
 * and everything else — another token, an expired or revoked one, another
 * path, another method — is a 404 (405) that is logged.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabInfraError } from '../lab-errors.js';
import { formatBootFetch, type BootFetch } from './boot-fetch.js';
import { BootFileServer } from './boot-file-server.js';

let dir: string;
let server: BootFileServer;
const logged: BootFetch[] = [];
const kernelBytes = Buffer.alloc(3 * 1024 * 1024 + 7, 0x4b);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-boot-http-'));
  await writeFile(join(dir, 'bzImage'), kernelBytes);
  await writeFile(join(dir, 'initrd'), 'INITRD');
  server = await BootFileServer.start({ listenHost: '127.0.0.1', port: 0, machineHost: '127.0.0.1', tokenTtlSec: 60 }, { onFetch: (f) => logged.push(f) });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const files = () => ({ vmlinuz: join(dir, 'bzImage'), 'initrd.img': join(dir, 'initrd') });
/** Raw request: fetch() would normalise the path before sending it. */
function rawGet(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(server.port, '127.0.0.1', () => s.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (d) => { out += String(d); });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('the boot file server', () => {
  it('serves a grant\'s kernel and initramfs with GET and HEAD, each fetch logged with machine, file, bytes and ms', async () => {
    const g = await server.grant({ machineId: 'vm1', jobId: 'job-1', files: files() });
    expect(g.urls.vmlinuz).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/boot/[A-Za-z0-9_-]{22}/vmlinuz$`));
    const head = await fetch(g.urls.vmlinuz, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(kernelBytes.length));
    const body = Buffer.from(await (await fetch(g.urls.vmlinuz)).arrayBuffer());
    expect(body.equals(kernelBytes)).toBe(true);
    expect(await (await fetch(g.urls['initrd.img'])).text()).toBe('INITRD');
    await new Promise((r) => setTimeout(r, 20));
    expect(g.fetches()).toMatchObject([
      { machineId: 'vm1', jobId: 'job-1', method: 'HEAD', file: 'vmlinuz', status: 200, bytes: 0, complete: true },
      { machineId: 'vm1', method: 'GET', file: 'vmlinuz', status: 200, bytes: kernelBytes.length, complete: true },
      { machineId: 'vm1', method: 'GET', file: 'initrd.img', status: 200, bytes: 6, complete: true },
    ]);
    expect(g.fetches().every((f) => typeof f.ms === 'number' && f.ms >= 0)).toBe(true);
    expect(formatBootFetch(g.fetches()[1]!)).toMatch(new RegExp(`vm1 GET vmlinuz: 200, ${kernelBytes.length} bytes in \\d+ ms$`));
    await g.revoke();
  });

  it('a token it never issued is a 404, logged without a machine', async () => {
    const before = logged.length;
    const res = await fetch(`http://127.0.0.1:${server.port}/boot/${'A'.repeat(22)}/vmlinuz`);
    expect(res.status).toBe(404);
    expect(logged.slice(before)).toMatchObject([{ status: 404, refused: 'unknown token', file: 'vmlinuz' }]);
    expect(logged.at(-1)!.machineId).toBeUndefined();
  });

  it('a token past its time is a 404, logged with the machine it was for; its files are closed', async () => {
    const g = await server.grant({ machineId: 'vm2', jobId: 'job-2', files: files(), ttlMs: 50 });
    expect((await fetch(g.urls['initrd.img'])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 120));
    const res = await fetch(g.urls.vmlinuz);
    expect(res.status).toBe(404);
    expect(g.fetches().at(-1)).toMatchObject({ machineId: 'vm2', file: 'vmlinuz', status: 404, refused: 'expired token' });
    expect(formatBootFetch(g.fetches().at(-1)!)).toMatch(/vm2 GET vmlinuz: 404 refused \(expired token\)/);
  });

  it('a revoked token (the boot ended) is a 404 at once', async () => {
    const g = await server.grant({ machineId: 'vm3', jobId: 'job-3', files: files() });
    await g.revoke();
    expect((await fetch(g.urls.vmlinuz)).status).toBe(404);
    expect(g.fetches()).toMatchObject([{ status: 404, refused: 'revoked token' }]);
  });

  it.each([
    ['another file under a live token', (t: string) => `/boot/${t}/System.map`, 'no such file'],
    ['a climb out of the token', (t: string) => `/boot/${t}/../vmlinuz`, 'bad path'],
    ['an encoded climb', (t: string) => `/boot/${t}/%2e%2e%2fetc%2fpasswd`, 'no such file'],
    ['the token alone', (t: string) => `/boot/${t}`, 'bad path'],
    ['the root', () => '/', 'bad path'],
    ['a doubled slash', (t: string) => `/boot//${t}/vmlinuz`, 'bad path'],
  ])('refuses %s with a 404', async (_name, path, reason) => {
    const g = await server.grant({ machineId: 'vm4', jobId: 'job-4', files: files() });
    const token = /\/boot\/([^/]+)\//.exec(g.urls.vmlinuz)![1]!;
    const before = logged.length;
    expect(await rawGet(path(token))).toMatch(/^HTTP\/1\.1 404 /);
    expect(logged.slice(before)).toMatchObject([{ status: 404, refused: reason }]);
    await g.revoke();
  });

  it('answers other methods with 405', async () => {
    const g = await server.grant({ machineId: 'vm5', jobId: 'job-5', files: files() });
    const res = await fetch(g.urls.vmlinuz, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    await g.revoke();
  });

  it('keeps serving what it opened when the file is replaced during the boot', async () => {
    const path = join(dir, 'replaced');
    await writeFile(path, 'FIRST');
    const g = await server.grant({ machineId: 'vm6', jobId: 'job-6', files: { ...files(), vmlinuz: path } });
    await rm(path);
    await writeFile(path, 'SECOND, LONGER');
    expect(await (await fetch(g.urls.vmlinuz)).text()).toBe('FIRST');
    await g.revoke();
  });

  it('a missing file is an infrastructure error at grant time, not a 404 at boot', async () => {
    const err = await server.grant({ machineId: 'vm7', jobId: 'job-7', files: { ...files(), vmlinuz: join(dir, 'absent') } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabInfraError);
    expect((err as Error).message).toMatch(/cannot open the boot files of job-7: ENOENT/);
  });

  it('a port already taken is a configuration error naming the setting', async () => {
    const err = await BootFileServer.start({ listenHost: '127.0.0.1', port: server.port, machineHost: '127.0.0.1', tokenTtlSec: 60 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KBISECT_ERR_LAB_CONFIG', field: 'bootHttp.listen', message: expect.stringMatching(/EADDRINUSE/) });
  });
});
