import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabConfigError } from './lab-errors.js';
import { stagePxeBoot } from './pxe-staging.js';

let dir: string;
let kernel: string;
let initrd: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-pxe-'));
  kernel = join(dir, 'bzImage');
  initrd = join(dir, 'initrd');
  await writeFile(kernel, 'KERNEL');
  await writeFile(initrd, 'INITRD');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('staging a PXE boot', () => {
  it('iPXE: entry script, per-MAC script, files; removed afterwards', async () => {
    const root = join(dir, 'tftp1');
    const staged = await stagePxeBoot({ tftpRoot: root, loader: 'ipxe', mac: '52:54:00:AB:00:01', jobId: 'b1-step3', kernel, initrd, cmdline: 'console=ttyS0 kbisect.test=good' });
    expect(await readFile(join(root, 'boot.ipxe'), 'utf8')).toContain('chain /kbisect/mac/${net0/mac:hexhyp}.ipxe');
    expect(await readFile(join(root, 'kbisect/mac/52-54-00-ab-00-01.ipxe'), 'utf8')).toBe('#!ipxe\n# kbisect job b1-step3\nkernel /kbisect/b1-step3/vmlinuz console=ttyS0 kbisect.test=good\ninitrd /kbisect/b1-step3/initrd.img\nboot\n');
    expect(await readFile(join(root, 'kbisect/b1-step3/vmlinuz'), 'utf8')).toBe('KERNEL');
    await staged.remove();
    expect(await readdir(join(root, 'kbisect'))).toEqual(['mac']);
    expect(await readdir(join(root, 'kbisect/mac'))).toEqual([]);
  });

  it('iPXE over HTTP: only the scripts go under the TFTP root; the per-MAC script fetches the per-boot URLs', async () => {
    const root = join(dir, 'tftp-http');
    const httpUrls = { vmlinuz: 'http://10.0.2.2:8069/boot/T0k3n/vmlinuz', 'initrd.img': 'http://10.0.2.2:8069/boot/T0k3n/initrd.img' };
    const staged = await stagePxeBoot({ tftpRoot: root, loader: 'ipxe', mac: '52:54:00:ab:00:05', jobId: 'h1', kernel, initrd, cmdline: 'console=ttyS0', httpUrls });
    expect(await readFile(join(root, 'kbisect/mac/52-54-00-ab-00-05.ipxe'), 'utf8')).toBe('#!ipxe\n# kbisect job h1\nkernel http://10.0.2.2:8069/boot/T0k3n/vmlinuz console=ttyS0\ninitrd http://10.0.2.2:8069/boot/T0k3n/initrd.img\nboot\n');
    expect(await readdir(join(root, 'kbisect'))).toEqual(['mac']);
    await staged.remove();
    expect(await readdir(join(root, 'kbisect/mac'))).toEqual([]);
  });

  it('refuses HTTP URLs for a pxelinux machine (pxelinux fetches over TFTP only)', async () => {
    const err = await stagePxeBoot({ tftpRoot: join(dir, 'tftp5'), loader: 'pxelinux', mac: '52:54:00:ab:00:06', jobId: 'h2', kernel, initrd, cmdline: '', httpUrls: { vmlinuz: 'http://x/a', 'initrd.img': 'http://x/b' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KBISECT_ERR_LAB_CONFIG', field: 'pxe.method' });
  });

  it('pxelinux: pxelinux.cfg/01-<mac>', async () => {
    const root = join(dir, 'tftp2');
    const staged = await stagePxeBoot({ tftpRoot: root, loader: 'pxelinux', mac: '52:54:00:ab:00:02', jobId: 'j2', kernel, initrd, cmdline: 'console=ttyS0' });
    const cfg = await readFile(join(root, 'pxelinux.cfg/01-52-54-00-ab-00-02'), 'utf8');
    expect(cfg).toContain('KERNEL kbisect/j2/vmlinuz');
    expect(cfg).toContain('INITRD kbisect/j2/initrd.img');
    expect(cfg).toContain('APPEND console=ttyS0');
    await staged.remove();
    expect(await readdir(join(root, 'pxelinux.cfg'))).toEqual([]);
  });

  it("removing an old test never removes the next test's boot script", async () => {
    const root = join(dir, 'tftp3');
    const old = await stagePxeBoot({ tftpRoot: root, loader: 'ipxe', mac: '52:54:00:ab:00:03', jobId: 'old', kernel, initrd, cmdline: '' });
    await stagePxeBoot({ tftpRoot: root, loader: 'ipxe', mac: '52:54:00:ab:00:03', jobId: 'new', kernel, initrd, cmdline: '' });
    await old.remove();
    expect(await readFile(join(root, 'kbisect/mac/52-54-00-ab-00-03.ipxe'), 'utf8')).toContain('kbisect job new');
  });

  it.each([
    ['a job id with a slash', { jobId: '../etc' }, 'jobId'],
    ['a job id that is hidden', { jobId: '.x' }, 'jobId'],
    ["a command line with '$'", { cmdline: 'x=${net0/ip}' }, 'cmdline'],
    ['a command line with a newline', { cmdline: 'a\nshell' }, 'cmdline'],
  ])('refuses %s', async (_name, change, field) => {
    const err = await stagePxeBoot({ tftpRoot: join(dir, 'tftp4'), loader: 'ipxe', mac: '52:54:00:ab:00:04', jobId: 'ok', kernel, initrd, cmdline: '', ...change }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabConfigError);
    expect((err as LabConfigError).field).toBe(field);
  });
});
