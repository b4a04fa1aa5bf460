/**
 * Machines that boot over HTTP, on the virtual lab with QEMU's real iPXE
 * ROM: TFTP hands out only the iPXE scripts, the kernel and initramfs come
 * from the boot file server through per-boot URLs, and the console shows
 * iPXE fetching them. A URL whose time ran out is a logged 404 and the
 * machine never boots; a machine with boot method tftp still gets both
 * files over TFTP (the path pxelinux machines use).
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootFileServer, buildInitramfs, DEFAULT_BOOT_HTTP, LabInfraError, runBootTest, VirtualLab, type BootFetch, type MachineSpec } from '@kbisect/lab';
import { ipxeFetchedOk, literal } from './support/ipxe-fetch.js';

const kernel = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).map((f) => join('/boot', f))[0] : undefined;
const haveTools = ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));

describe.skipIf(!kernel || !haveTools)('booting over HTTP on the virtual lab (QEMU + iPXE)', () => {
  let dir: string;
  let lab: VirtualLab;
  let server: BootFileServer;
  let initrd: string;
  let password: string;
  const logged: BootFetch[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-http-boot-'));
    // As the lab worker runs it by default: loopback, which QEMU's guests reach as 10.0.2.2.
    server = await BootFileServer.start(DEFAULT_BOOT_HTTP, { onFetch: (f) => logged.push(f) });
    lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 1 });
    password = (await readFile(lab.passwordFile, 'utf8')).trim();
    initrd = join(dir, 'initramfs.cpio.gz');
    await buildInitramfs(initrd, { good: 'echo "KBISECT-RESULT {\\"verdict\\":\\"good\\"}"' });
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const boot = (m: MachineSpec, jobId: string, opts: { deadlineSec?: number; bootUrlTtlMs?: number } = {}) =>
    runBootTest(m, password, { jobId, kernel: kernel!, initrd, cmdline: 'kbisect.test=good', deadlineSec: opts.deadlineSec ?? 120, evidenceDir: join(dir, 'evidence'), bootFiles: server },
      opts.bootUrlTtlMs !== undefined ? { bootUrlTtlMs: opts.bootUrlTtlMs } : {});

  it('a virtual machine boots with method ipxe-http: iPXE fetches the kernel over HTTP, each fetch is logged, the URL dies with the test', async () => {
    const m = lab.machines[0]!;
    expect(m.pxe.method).toBe('ipxe-http');
    const r = await boot(m, 'http-1');
    expect(r).toMatchObject({ verdict: 'good', outcome: { kind: 'result' } });
    const log = await readFile(r.consoleLog, 'utf8');
    // TFTP: the entry script and the per-MAC script only; the kernel and initramfs over HTTP.
    expect(log).toMatch(/tftp:\/\/10\.0\.2\.2\/boot\.ipxe/);
    const kernelUrl = new RegExp(`http://10\\.0\\.2\\.2:${server.port}/boot/[A-Za-z0-9_-]{22}/vmlinuz`);
    expect(log).toMatch(kernelUrl);
    expect(log).toMatch(new RegExp(`http://10\\.0\\.2\\.2:${server.port}/boot/[A-Za-z0-9_-]{22}/initrd\\.img`));
    expect(log).not.toMatch(/\/kbisect\/http-1\/vmlinuz/);
    const kernelSize = (await readFile(kernel!)).length;
    expect(r.bootFetches).toEqual(expect.arrayContaining([
      expect.objectContaining({ machineId: m.id, jobId: 'http-1', method: 'GET', file: 'vmlinuz', status: 200, bytes: kernelSize, complete: true }),
      expect.objectContaining({ machineId: m.id, method: 'GET', file: 'initrd.img', status: 200, complete: true }),
    ]));
    expect(r.bootFetches.filter((f) => f.refused !== undefined)).toEqual([]);
    // Nothing but the scripts was staged under the TFTP root, and nothing is left.
    expect(readdirSync(join(lab.tftpRoot, 'kbisect')).filter((f) => f !== 'mac')).toEqual([]);
    expect(readdirSync(join(lab.tftpRoot, 'kbisect', 'mac'))).toEqual([]);
    // The URL the console shows (evidence every reader sees) no longer works.
    const url = kernelUrl.exec(log)![0].replace('10.0.2.2', '127.0.0.1');
    const before = logged.length;
    expect((await fetch(url)).status).toBe(404);
    expect(logged.slice(before)).toMatchObject([{ machineId: m.id, status: 404, refused: 'revoked token' }]);
  }, 200_000);

  it('a URL whose time ran out is a 404, logged with the machine; the machine never boots and the test says why', async () => {
    const m = lab.machines[0]!;
    const before = logged.length;
    const err = await boot(m, 'http-expired', { deadlineSec: 45, bootUrlTtlMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabInfraError);
    expect(err).toMatchObject({ kind: 'no-boot', machineId: m.id, message: expect.stringMatching(/the boot HTTP server refused GET vmlinuz \(404, expired token\)/) });
    expect(logged.slice(before)).toEqual(expect.arrayContaining([expect.objectContaining({ machineId: m.id, jobId: 'http-expired', file: 'vmlinuz', status: 404, refused: 'expired token' })]));
    const consoleLog = await readFile(join(dir, 'evidence', 'http-expired.console.log'), 'utf8');
    expect(consoleLog).toMatch(new RegExp(`http://10\\.0\\.2\\.2:${server.port}/boot/[A-Za-z0-9_-]{22}/vmlinuz`));
    expect(consoleLog).not.toMatch(/Linux version/);
  }, 200_000);

  it('a machine with boot method tftp still gets kernel and initramfs over TFTP, and the server sees no request', async () => {
    const m = lab.machines[0]!;
    const before = logged.length;
    const r = await boot({ ...m, pxe: { ...m.pxe, method: 'tftp' } }, 'tftp-1');
    expect(r).toMatchObject({ verdict: 'good', bootFetches: [] });
    const log = await readFile(r.consoleLog, 'utf8');
    // iPXE names TFTP paths relative to the script it came from.
    expect(log).toMatch(ipxeFetchedOk(literal('/kbisect/tftp-1/vmlinuz')));
    expect(log).toMatch(ipxeFetchedOk(literal('/kbisect/tftp-1/initrd.img')));
    expect(log).not.toMatch(/http:\/\/10\.0\.2\.2/);
    expect(logged.length).toBe(before);
  }, 200_000);
});
