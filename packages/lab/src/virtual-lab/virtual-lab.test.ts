/**
 * The virtual lab's BMCs against the real ipmitool: power, boot device,
 * refused passwords, dead BMCs, and nothing left running when the process
 * that started the lab dies.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient } from '../ipmi-client.js';
import { LabInfraError } from '../lab-errors.js';
import { freePort } from './free-port.js';
import { isLive, VirtualLab } from './virtual-lab.js';

const haveTools = ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));

describe.skipIf(!haveTools)('the virtual lab through ipmitool lanplus', () => {
  let dir: string;
  let lab: VirtualLab;
  let password: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-vlab-'));
    lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 2 });
    password = (await readFile(lab.passwordFile, 'utf8')).trim();
  });
  afterAll(async () => {
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const ipmi = (i = 0, pw = password, opts = {}) => new IpmiClient(lab.machines[i]!.bmc, pw, opts);

  it('powers a machine on and off; "on" means a live QEMU, "off" means none left, not even a zombie', async () => {
    const c = ipmi();
    expect(await c.powerStatus()).toBe('off');
    await c.powerOn();
    expect(await c.powerStatus()).toBe('on');
    const vmDir = join(lab.dir, lab.machines[0]!.id);
    const qemu = Number((await readFile(join(vmDir, 'qemu.pid'), 'utf8')).trim());
    expect(isLive(qemu)).toBe(true);
    expect(await readFile(`/proc/${qemu}/cmdline`, 'utf8')).toContain('intel-iommu');
    await c.powerOff();
    expect(await c.powerStatus()).toBe('off');
    for (let i = 0; i < 20 && isLive(qemu); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isLive(qemu)).toBe(false);
  });

  it('sets the next boot to PXE and reads it back', async () => {
    await ipmi(1).setBootPxe();
    expect(await readFile(join(lab.dir, lab.machines[1]!.id, 'bootdev'), 'utf8')).toBe('pxe\n');
  });

  it('many concurrent calls to one BMC are serialized and all answered', async () => {
    const c = ipmi(1);
    const answers = await Promise.all(Array.from({ length: 8 }, () => c.powerStatus()));
    expect(answers).toEqual(Array(8).fill('off'));
  });

  it('a wrong password is an authentication failure, not retried', async () => {
    const started = Date.now();
    // A retry would wait 10 s first: the bound tells "not retried" apart from a slow ipmitool on a loaded machine.
    const err = await ipmi(0, 'wrong-password', { retries: 5, retryDelayMs: 10_000 }).powerStatus().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabInfraError);
    expect(err).toMatchObject({ kind: 'bmc-auth-refused' });
    expect((err as Error).message).not.toContain('wrong-password');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a BMC that does not answer is unreachable, after the retries', async () => {
    const dead = await freePort('udp');
    const err = await new IpmiClient({ host: '127.0.0.1', port: dead, user: 'kbisect' }, password, { retries: 1, retryDelayMs: 10 }).powerStatus().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bmc-unreachable', message: expect.stringMatching(/does not answer/) });
  });

  it('a BMC that exits 0 but does not keep the boot device is caught by the read-back', async () => {
    // Some BMCs answer a refused bootdev with status 0 (as ipmi_sim does with startcmd).
    const fake = join(dir, 'ipmitool-lying');
    await writeFile(fake, '#!/bin/sh\ncase "$*" in *bootdev*) echo "Set Boot Device to pxe";; *bootparam*) echo " - Boot Device Selector : Force Boot from default Hard-Drive";; esac\nexit 0\n');
    await chmod(fake, 0o755);
    const err = await ipmi(0, password, { ipmitool: fake }).setBootPxe().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bmc-command-refused', message: expect.stringMatching(/did not keep 'chassis bootdev pxe'.*default Hard-Drive/) });
  });

  it('leaves nothing running when the process that started it is killed', async () => {
    const fixture = fileURLToPath(new URL('./hold-lab.fixture.mts', import.meta.url));
    // One process (node with tsx's loader), so killing it kills the lab's owner.
    const child = execa(process.execPath, ['--import', 'tsx', fixture, join(dir, 'crash-lab')], { reject: false, buffer: false, cwd: fileURLToPath(new URL('../../../..', import.meta.url)) });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += String(d);
        const m = /PIDS ([\d ]+)\n/.exec(out);
        if (m) resolve(m[1]!.trim().split(' ').map(Number));
      });
      setTimeout(() => reject(new Error(`no PIDS line: ${out}`)), 30_000);
    });
    expect(pids).toHaveLength(2); // the BMC simulator and the guest
    expect(pids.every(isLive)).toBe(true);
    child.kill('SIGKILL');
    await child;
    for (let i = 0; i < 60 && pids.some(isLive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(isLive)).toEqual([]);
  }, 45_000);
});

describe.skipIf(!haveTools || !existsSync('/boot'))('a console read over IPMI serial-over-LAN', () => {
  it('boots the Debian kernel with the console through ipmitool sol activate, and classifies the result', async () => {
    const { readdirSync } = await import('node:fs');
    const { buildInitramfs } = await import('../initramfs.js');
    const { runBootTest } = await import('../boot-test.js');
    const kernel = readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).map((f) => join('/boot', f))[0];
    if (!kernel) return;
    const dir = await mkdtemp(join(tmpdir(), 'kbisect-sol-'));
    const lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 1, console: 'sol' });
    const { BootFileServer } = await import('../boot-http/boot-file-server.js');
    const { DEFAULT_BOOT_HTTP } = await import('../boot-http/boot-http-config.js');
    const bootFiles = await BootFileServer.start(DEFAULT_BOOT_HTTP);
    try {
      const initrd = join(dir, 'initrd.cpio.gz');
      await buildInitramfs(initrd, { good: 'sleep 3; echo "KBISECT-RESULT {\\"verdict\\":\\"good\\",\\"via\\":1}"' });
      const m = lab.machines[0]!;
      expect(m.console).toEqual({ type: 'sol' });
      const r = await runBootTest(m, (await readFile(lab.passwordFile, 'utf8')).trim(), { jobId: 'sol-1', kernel, initrd, cmdline: 'kbisect.test=good', deadlineSec: 90, evidenceDir: join(dir, 'evidence'), bootFiles });
      expect(r).toMatchObject({ verdict: 'good', outcome: { kind: 'result', metrics: { via: 1 } } });
      const log = await readFile(r.consoleLog, 'utf8');
      expect(log).toContain('KBISECT-INIT-START');
      expect(log).not.toContain('SOL Session operational');
    } finally {
      await lab.stop();
      await bootFiles.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
