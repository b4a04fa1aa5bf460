/**
 * bench/lab — how long a test takes in the virtual lab, from IPMI power-on to
 * the result line, for Debian's kernel (linux-image-amd64) and the project's
 * busybox initramfs, with the kernel and initramfs over HTTP (boot method
 * ipxe-http, the virtual lab's default) beside the same boot over TFTP.
 *
 * Input: --boots N (default 5). Needs ipmi_sim, ipmitool, QEMU (scripts/setup).
 * Output (stdout): per boot and as medians, for HTTP and for TFTP on the same
 *   machine, alternating: power-on → result line over the full lab path
 *   (ipmitool lanplus → ipmi_sim → QEMU q35 + intel-iommu, iPXE, console
 *   over TCP); the load phase (iPXE printing the kernel's URL → the kernel's
 *   first line: both files' transfer plus decompression); the whole test
 *   including staging and the verified power-off; the HTTP server's own
 *   times for the kernel and initramfs; ratios HTTP / TFTP. The baseline for
 *   the lab's overhead is the same kernel and initramfs booted straight with
 *   QEMU's -kernel in the same run. Work dir removed.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDirect, BootFileServer, buildInitramfs, classifyConsole, DEFAULT_BOOT_HTTP, runBootTest, VirtualLab, type BootMethod, type BootTestResult } from '@kbisect/lab';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const boots = numberFlag('boots', 5);
const kernelName = readdirSync('/boot').find((f) => f.startsWith('vmlinuz-'));
if (!kernelName) throw new Error('no /boot/vmlinuz-*: apt-get install linux-image-amd64');
const kernel = join('/boot', kernelName);

const dir = await mkdtemp(join(tmpdir(), 'kbisect-lab-bench-'));
const lab = await VirtualLab.start({ dir: join(dir, 'lab'), machines: 1 });
const bootFiles = await BootFileServer.start(DEFAULT_BOOT_HTTP);
interface Sample { readonly result: number; readonly load: number; readonly total: number; readonly r: BootTestResult }
try {
  const initrd = join(dir, 'initramfs.cpio.gz');
  await buildInitramfs(initrd, { good: 'echo "KBISECT-RESULT {\\"verdict\\":\\"good\\"}"' });
  const machine = lab.machines[0]!;
  const password = (await readFile(lab.passwordFile, 'utf8')).trim();
  const mb = (f: string): string => (statSync(f).size / 1e6).toFixed(1);
  /** One boot; the load phase is timed from the console as it arrives. */
  const boot = async (method: BootMethod, i: number): Promise<Sample> => {
    let text = '';
    let loadStart: number | undefined;
    let kernelUp: number | undefined;
    const r = await runBootTest({ ...machine, pxe: { ...machine.pxe, method } }, password, {
      jobId: `bench-${method}-${i}`, kernel, initrd, cmdline: 'kbisect.test=good', deadlineSec: 180, evidenceDir: join(dir, 'evidence'), bootFiles,
      onConsole: (chunk) => {
        text += chunk;
        loadStart ??= /\/vmlinuz\.\.\./.test(text) ? Date.now() : undefined;
        kernelUp ??= /Linux version \d/.test(text) ? Date.now() : undefined;
      },
    });
    if (r.verdict !== 'good' || r.timings.resultSec === undefined) throw new Error(`${method} boot ${i}: ${r.verdict} (${r.reason})`);
    if (loadStart === undefined || kernelUp === undefined) throw new Error(`${method} boot ${i}: the console never showed the kernel's URL and its first line`);
    return { result: r.timings.resultSec, load: (kernelUp - loadStart) / 1000, total: r.timings.totalSec, r };
  };
  const http: Sample[] = [];
  const tftp: Sample[] = [];
  const direct: number[] = [];
  const serverMs = { kernel: [] as number[], initrd: [] as number[] };
  console.log(`bench/lab: ${boots} boots each over HTTP and TFTP of ${kernelName} (${mb(kernel)} MB) + initramfs (${mb(initrd)} MB), TCG, 1 vCPU, 1 GiB, q35 + intel-iommu; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (let i = 0; i < boots; i++) {
    // Alternating, so a change in the host's load hits both alike.
    const h = await boot('ipxe-http', i);
    const t = await boot('tftp', i);
    http.push(h);
    tftp.push(t);
    for (const f of h.r.bootFetches) if (f.method === 'GET' && f.complete) (f.file === 'vmlinuz' ? serverMs.kernel : serverMs.initrd).push(f.ms);
    // The baseline only says what the lab path costs on top; on a host this loaded it may miss its deadline, which drops it, not the run.
    // no_timer_check as the lab machines have it: a loaded host's emulated timer otherwise fails the early IO-APIC check and the guest panics.
    const d = await bootDirect({ kernel, initrd, append: 'kbisect.test=good no_timer_check', deadlineSec: 240 });
    const directOk = classifyConsole(d.console, d).kind === 'result';
    if (directOk) direct.push(d.seconds);
    console.log(`  boot ${i + 1}: power-on → result HTTP ${h.result.toFixed(1)} s, TFTP ${t.result.toFixed(1)} s; load phase HTTP ${h.load.toFixed(2)} s, TFTP ${t.load.toFixed(2)} s; whole test HTTP ${h.total.toFixed(1)} s, TFTP ${t.total.toFixed(1)} s; direct -kernel boot ${directOk ? `${d.seconds.toFixed(1)} s` : `no result in ${d.seconds.toFixed(0)} s (dropped)`}; load ${loadavg()[0]!.toFixed(1)}`);
  }
  const med = (xs: readonly Sample[], k: 'result' | 'load' | 'total'): number => median(xs.map((x) => x[k]));
  for (const k of ['result', 'load', 'total'] as const) {
    const what = { result: 'power-on → result line', load: 'load phase (URL on the console → kernel\'s first line)', total: 'whole test (stage, bootdev, power on, result, power off verified, unstage)' }[k];
    console.log(`median ${what}: HTTP ${med(http, k).toFixed(2)} s, TFTP ${med(tftp, k).toFixed(2)} s, ratio HTTP / TFTP ${(med(http, k) / med(tftp, k)).toFixed(2)}`);
  }
  console.log(`boot file server, median time to send: kernel ${median(serverMs.kernel).toFixed(0)} ms, initramfs ${median(serverMs.initrd).toFixed(0)} ms`);
  console.log(`baseline, median direct -kernel boot to power-off (${direct.length} of ${boots}): ${median(direct).toFixed(1)} s; ratio lab (HTTP) / direct: ${(med(http, 'result') / median(direct)).toFixed(2)}`);
  console.log(`load at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await lab.stop();
  await bootFiles.close();
  await rm(dir, { recursive: true, force: true });
}
