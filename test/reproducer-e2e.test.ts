/**
 * The vfio pin-check reproducer in the virtual lab on Debian's own kernel
 * (linux-image-amd64, VFIO as modules packed from /lib/modules): it binds the
 * guest's spare e1000 to vfio-pci, pins through a type1 container, proves
 * the pin is THP-backed, runs the write-protect steps and the churn, and
 * finds every pinned frame in place, while the unpinned control's frames
 * move; fork mode (the demo's) is unchanged and good on 6.1.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootFileServer, DEFAULT_BOOT_HTTP, VirtualLab } from '@kbisect/lab';
import { hostModulesTarball, prepareInitramfs, VFIO_MODULES } from '@kbisect/reproducers';
import { bootShowingConsole } from './support/boot-showing-console.js';

const version = existsSync('/lib/modules') ? readdirSync('/lib/modules').find((v) => existsSync(`/boot/vmlinuz-${v}`)) : undefined;
const haveTools = ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));

describe.skipIf(!version || !haveTools)('vfio-pin-check on the Debian kernel in the virtual lab', () => {
  let dir: string;
  let lab: VirtualLab;
  let bootFiles: BootFileServer;
  let modules: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-repro-e2e-'));
    lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 1 });
    bootFiles = await BootFileServer.start(DEFAULT_BOOT_HTTP);
    modules = join(dir, 'modules.tgz');
    await hostModulesTarball(version!, VFIO_MODULES, modules);
  });
  afterAll(async () => {
    await lab?.stop();
    await bootFiles?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const boot = async (args: string[], pci: string) => {
    const initrd = await prepareInitramfs('vfio-pin-check', args, { cacheDir: dir, modulesTar: modules });
    const m = lab.machines[0]!;
    return bootShowingConsole(m, (await readFile(lab.passwordFile, 'utf8')).trim(), {
      jobId: `repro-${initrd.key}`, kernel: `/boot/vmlinuz-${version}`, initrd: initrd.path,
      cmdline: `kbisect.test=vfio-pin-check kbisect.pci=${pci}`, deadlineSec: 120, evidenceDir: join(dir, 'evidence'), bootFiles,
    });
  };

  it('prints good in the default THP mode: a THP-backed pin, every write-protect step run, nothing moved, in the default run time', async () => {
    const r = await boot([], lab.machines[0]!.pciAddress!);
    const metrics = r.outcome.kind === 'result' ? r.outcome.metrics : {};
    console.log(`good kernel, default mode and run time: reproducer ${metrics.seconds} s (${metrics.iterations} iterations), result ${r.timings.resultSec?.toFixed(1)} s after power-on, ${r.timings.totalSec.toFixed(1)} s in all`);
    expect(r.verdict, r.reason).toBe('good');
    expect(metrics).toMatchObject({ mismatches: 0, pages: 2048, mode_fork: 0, chunks: 4, thp_chunks: 4, moved_after: 0, moved_index: -1 });
    expect(metrics).toMatchObject({ moved_mprotect_page: 0, moved_mprotect_huge: 0, moved_dontfork: 0, moved_fork_exit: 0, moved_churn: 0 });
    expect(metrics.iterations).toBeGreaterThan(10);
    // The steps run inside --seconds (default 20): a good kernel takes no longer than before them.
    expect(metrics.seconds).toBeGreaterThanOrEqual(20);
    expect(metrics.seconds).toBeLessThan(21);
    expect(metrics.control_moved! + metrics.control_sanity!).toBeGreaterThan(0);
  }, 400_000);

  it('in fork mode, unchanged, 6.1 keeps every pinned frame (the COW-on-fork work) and names the fork round as the only step', async () => {
    const r = await boot(['--mode=fork', '--seconds=5'], lab.machines[0]!.pciAddress!);
    const metrics = r.outcome.kind === 'result' ? r.outcome.metrics : {};
    expect(r.verdict, r.reason).toBe('good');
    expect(metrics).toMatchObject({ mismatches: 0, mode_fork: 1, moved_fork_mode: 0, moved_after: 0 });
    expect(metrics.moved_mprotect_page).toBeUndefined();
  }, 400_000);

  it('a PCI address that does not exist in the guest is a skip with the reason', async () => {
    const r = await boot(['--seconds=5'], '0000:00:1f.6');
    expect(r.verdict).toBe('skip');
    expect(r.reason).toBe('test reported skip: no PCI device 0000:00:1f.6 in this machine');
  }, 400_000);
});
