/**
 * The vfio pin-check reproducer in the virtual lab on Debian's own kernel
 * (linux-image-amd64, VFIO as modules packed from /lib/modules): it binds the
 * guest's spare e1000 to vfio-pci, pins through a type1 container and finds
 * every pinned frame in place, while the unpinned control's frames move.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBootTest, VirtualLab } from '@kbisect/lab';
import { hostModulesTarball, prepareInitramfs, VFIO_MODULES } from '@kbisect/reproducers';

const version = existsSync('/lib/modules') ? readdirSync('/lib/modules').find((v) => existsSync(`/boot/vmlinuz-${v}`)) : undefined;
const haveTools = ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));

describe.skipIf(!version || !haveTools)('vfio-pin-check on the Debian kernel in the virtual lab', () => {
  let dir: string;
  let lab: VirtualLab;
  let modules: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-repro-e2e-'));
    lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 1 });
    modules = join(dir, 'modules.tgz');
    await hostModulesTarball(version!, VFIO_MODULES, modules);
  });
  afterAll(async () => {
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const boot = async (args: string[], pci: string) => {
    const initrd = await prepareInitramfs('vfio-pin-check', args, { cacheDir: dir, modulesTar: modules });
    const m = lab.machines[0]!;
    return runBootTest(m, (await readFile(lab.passwordFile, 'utf8')).trim(), {
      jobId: `repro-${initrd.key}`, kernel: `/boot/vmlinuz-${version}`, initrd: initrd.path,
      cmdline: `kbisect.test=vfio-pin-check kbisect.pci=${pci}`, deadlineSec: 120, evidenceDir: join(dir, 'evidence'),
    });
  };

  it('prints good in the default THP mode, and the control proves frames can be seen moving', async () => {
    const r = await boot(['--mode=thp', '--seconds=10'], lab.machines[0]!.pciAddress!);
    expect(r.verdict).toBe('good');
    const metrics = r.outcome.kind === 'result' ? r.outcome.metrics : {};
    expect(metrics).toMatchObject({ mismatches: 0, pages: 1024, mode_fork: 0 });
    expect(metrics.iterations).toBeGreaterThan(10);
    expect(metrics.control_moved! + metrics.control_sanity!).toBeGreaterThan(0);
  }, 150_000);

  it('a PCI address that does not exist in the guest is a skip with the reason', async () => {
    const r = await boot(['--seconds=5'], '0000:00:1f.6');
    expect(r.verdict).toBe('skip');
    expect(r.reason).toBe('test reported skip: no PCI device 0000:00:1f.6 in this machine');
  }, 150_000);
});
