/**
 * bench/lab — how long a test takes in the virtual lab, from IPMI power-on to
 * the result line, for Debian's kernel (linux-image-amd64) and the project's
 * busybox initramfs.
 *
 * Input: --boots N (default 5). Needs ipmi_sim, ipmitool, QEMU (scripts/setup).
 * Output (stdout): per boot and as medians, power-on → result line over the
 *   full lab path (ipmitool lanplus → ipmi_sim → QEMU q35 + intel-iommu,
 *   iPXE from the TFTP root, console over TCP) and the whole test including
 *   staging and the verified power-off; the baseline is the same kernel and
 *   initramfs booted straight with QEMU's -kernel in the same run, and the
 *   ratio says what IPMI + firmware + PXE cost on top. Work dir removed.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDirect, buildInitramfs, classifyConsole, runBootTest, VirtualLab } from '@kbisect/lab';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const boots = numberFlag('boots', 5);
const kernelName = readdirSync('/boot').find((f) => f.startsWith('vmlinuz-'));
if (!kernelName) throw new Error('no /boot/vmlinuz-*: apt-get install linux-image-amd64');
const kernel = join('/boot', kernelName);

const dir = await mkdtemp(join(tmpdir(), 'kbisect-lab-bench-'));
const lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 1 });
try {
  const initrd = join(dir, 'initramfs.cpio.gz');
  await buildInitramfs(initrd, { good: 'echo "KBISECT-RESULT {\\"verdict\\":\\"good\\"}"' });
  const machine = lab.machines[0]!;
  const password = (await readFile(lab.passwordFile, 'utf8')).trim();
  const lab2result: number[] = [];
  const labTotal: number[] = [];
  const direct: number[] = [];
  console.log(`bench/lab: ${boots} boots of ${kernelName}, TCG, 1 vCPU, 1 GiB, q35 + intel-iommu`);
  for (let i = 0; i < boots; i++) {
    const r = await runBootTest(machine, password, { jobId: `bench-${i}`, kernel, initrd, cmdline: 'kbisect.test=good', deadlineSec: 120, evidenceDir: join(dir, 'evidence') });
    if (r.verdict !== 'good' || r.timings.resultSec === undefined) throw new Error(`boot ${i}: ${r.verdict} (${r.reason})`);
    lab2result.push(r.timings.resultSec);
    labTotal.push(r.timings.totalSec);
    const d = await bootDirect({ kernel, initrd, append: 'kbisect.test=good', deadlineSec: 120 });
    if (classifyConsole(d.console, d).kind !== 'result') throw new Error(`direct boot ${i} gave no result`);
    direct.push(d.seconds);
    console.log(`  boot ${i + 1}: lab power-on → result ${r.timings.resultSec.toFixed(1)} s (whole test ${r.timings.totalSec.toFixed(1)} s); direct -kernel boot ${d.seconds.toFixed(1)} s`);
  }
  const m = median(lab2result);
  console.log(`median power-on → result line (IPMI + iPXE + PXE): ${m.toFixed(1)} s`);
  console.log(`median whole test (stage, bootdev, power on, result, power off verified, unstage): ${median(labTotal).toFixed(1)} s`);
  console.log(`baseline, median direct -kernel boot to power-off: ${median(direct).toFixed(1)} s`);
  console.log(`ratio lab / direct: ${(m / median(direct)).toFixed(2)}`);
} finally {
  await lab.stop();
  await rm(dir, { recursive: true, force: true });
}
