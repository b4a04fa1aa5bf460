/**
 * A real kernel (Debian's linux-image-amd64) and the project's busybox
 * initramfs under QEMU q35 + intel-iommu (TCG), classified from the console.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyConsole, judge } from './console-classifier.js';
import { buildInitramfs } from './initramfs.js';
import { bootDirect } from './qemu-direct-boot.js';

const kernel = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).map((f) => join('/boot', f))[0] : undefined;

describe.skipIf(!kernel)('booting the Debian kernel with the busybox initramfs', () => {
  let dir: string;
  let initrd: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-boot-'));
    initrd = join(dir, 'initramfs.cpio.gz');
    await buildInitramfs(initrd, {
      good: 'echo "KBISECT-RESULT {\\"verdict\\":\\"good\\",\\"iterations\\":3}"',
      bad: 'echo "KBISECT-RESULT {\\"verdict\\":\\"bad\\",\\"mismatches\\":2}"',
      iommu: 'n=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l); if [ "$n" -gt 0 ]; then echo "KBISECT-RESULT {\\"verdict\\":\\"good\\",\\"iommu_groups\\":$n}"; else echo "KBISECT-RESULT {\\"verdict\\":\\"bad\\",\\"iommu_groups\\":0}"; fi',
      hang: 'while true; do sleep 1; done',
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const boot = (append: string, deadlineSec = 90) => bootDirect({ kernel: kernel!, initrd, append, deadlineSec });

  it('a test that reports good, with IOMMU groups from the emulated intel-iommu', async () => {
    const r = await boot('kbisect.test=iommu');
    const outcome = classifyConsole(r.console, r);
    expect(outcome).toMatchObject({ kind: 'result', verdict: 'good' });
    expect(outcome.kind === 'result' && outcome.metrics.iommu_groups).toBeGreaterThan(0);
  }, 120_000);

  it('a test that reports bad', async () => {
    const r = await boot('kbisect.test=bad');
    expect(judge(classifyConsole(r.console, r))).toEqual({ verdict: 'bad', reason: 'test reported bad' });
  }, 120_000);

  it('a kernel panic before init (an init that does not exist) is a skip', async () => {
    const r = await boot('rdinit=/does-not-exist');
    const outcome = classifyConsole(r.console, r);
    expect(outcome).toMatchObject({ kind: 'crash', phase: 'before-init' });
    expect(judge(outcome)).toMatchObject({ verdict: 'skip' });
    expect(r.poweredOff).toBe(true);
  }, 120_000);

  it('a hang runs into the deadline', async () => {
    const r = await boot('kbisect.test=hang', 25);
    const outcome = classifyConsole(r.console, r);
    expect(r.deadlinePassed).toBe(true);
    expect(outcome).toMatchObject({ kind: 'hang', phase: 'during-test' });
  }, 120_000);
});
