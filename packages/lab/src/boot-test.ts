import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyConsole, CRASH_SIGNATURES, DEFAULT_VERDICT_POLICY, judge, type BootOutcome, type VerdictPolicy } from './console-classifier.js';
import { openConsole, type ConsoleCapture } from './console-capture.js';
import { FirstMatchClock } from './first-match-clock.js';
import { IpmiClient, type IpmiOptions } from './ipmi-client.js';
import type { BootFetch } from './boot-http/boot-fetch.js';
import type { BootFileGrants, BootGrant } from './boot-http/boot-file-server.js';
import { LabConfigError, LabInfraError } from './lab-errors.js';
import { bootMethodOf, type MachineSpec } from './machine.js';
import { stagePxeBoot, type StagedBoot } from './pxe-staging.js';

export interface BootTestRequest {
  /** Names the staged files and the evidence; a plain name. */
  readonly jobId: string;
  readonly kernel: string;
  readonly initrd: string;
  /** Words added to the machine's command-line base (e.g. `kbisect.test=vfio-pin`). */
  readonly cmdline?: string;
  /** From power-on to giving up on a result. */
  readonly deadlineSec: number;
  /** The console log is written here as `<jobId>.console.log`. */
  readonly evidenceDir: string;
  readonly policy?: VerdictPolicy;
  readonly onConsole?: (chunk: string) => void;
  /** Polled while the machine runs; true ends the test early (a cancelled bisection). */
  readonly cancelled?: () => boolean;
  /** Hands out the per-boot URLs of machines with boot method ipxe-http (the lab worker's BootFileServer); required for them. */
  readonly bootFiles?: BootFileGrants;
}

export interface BootTestResult {
  readonly machineId: string;
  readonly outcome: BootOutcome;
  readonly verdict: 'good' | 'bad' | 'skip';
  readonly reason: string;
  readonly consoleLog: string;
  readonly cancelled: boolean;
  /** The machine's requests for the kernel and initramfs over HTTP (empty for TFTP boots). */
  readonly bootFetches: readonly BootFetch[];
  readonly timings: {
    /** Power-on → the result line, when there was one. */
    readonly resultSec?: number;
    /** Power-on → first console byte. */
    readonly firstConsoleSec?: number;
    readonly totalSec: number;
  };
}

export interface BootTestTuning {
  readonly ipmi?: IpmiOptions;
  /** How often the power state is read while the test runs. @defaultValue 2000 */
  readonly powerPollMs?: number;
  /** After a result or a crash line, wait this long for the machine to power itself off. @defaultValue 5000 */
  readonly graceMs?: number;
  /** How long the per-boot URLs live unless the test ends first. @defaultValue the boot file server's */
  readonly bootUrlTtlMs?: number;
}

const RESULT_OR_END = /KBISECT-RESULT \{|KBISECT-TEST-END/;

/**
 * One test on one machine, the way a lab operator would do it by hand:
 * power off, hand out the per-boot URLs (ipxe-http) and stage the PXE
 * files, set the next boot to PXE (verified), open the console, power on,
 * watch until a result, a crash, power-off or the deadline, then power off
 * (verified), end the URLs and remove the staged files.
 * Infrastructure trouble throws LabInfraError; everything else is a verdict.
 */
export async function runBootTest(machine: MachineSpec, password: string, req: BootTestRequest, tuning: BootTestTuning = {}): Promise<BootTestResult> {
  const ipmi = new IpmiClient(machine.bmc, password, tuning.ipmi);
  const started = Date.now();
  await mkdir(req.evidenceDir, { recursive: true });
  const consoleLog = join(req.evidenceDir, `${req.jobId}.console.log`);
  let staged: StagedBoot | undefined;
  let capture: ConsoleCapture | undefined;
  let grant: BootGrant | undefined;
  const fetches = (): readonly BootFetch[] => grant?.fetches() ?? [];
  const resultClock = new FirstMatchClock(RESULT_OR_END);
  try {
    await powerOffVerified(ipmi, machine.id);
    if (bootMethodOf(machine) === 'ipxe-http') {
      if (req.bootFiles === undefined) throw new LabConfigError(`machine ${machine.id} boots with method ipxe-http, but this worker serves no boot files over HTTP`, 'pxe.method');
      grant = await req.bootFiles.grant({ machineId: machine.id, jobId: req.jobId, files: { vmlinuz: req.kernel, 'initrd.img': req.initrd }, ...(tuning.bootUrlTtlMs !== undefined ? { ttlMs: tuning.bootUrlTtlMs } : {}) });
    }
    staged = await stagePxeBoot({
      tftpRoot: machine.pxe.tftpRoot, loader: machine.pxe.loader, mac: machine.mac, jobId: req.jobId, kernel: req.kernel, initrd: req.initrd,
      cmdline: `${machine.cmdline} ${req.cmdline ?? ''}`.trim(), ...(grant ? { httpUrls: grant.urls } : {}),
    });
    await ipmi.setBootPxe();
    capture = await openConsole(machine.console, { logFile: consoleLog, ipmi, onText: (chunk) => { resultClock.feed(chunk); req.onConsole?.(chunk); } }).catch((err: unknown) => {
      throw new LabInfraError('console-unavailable', `cannot open the console of ${machine.id}: ${(err as Error).message}`, machine.id);
    });
    await ipmi.powerOn();
    const poweredOnAt = Date.now();
    const watched = await watch(ipmi, capture, resultClock, req, tuning, poweredOnAt);
    await powerOffVerified(ipmi, machine.id);
    // Read after the power-off: the result line may land between the last poll and the machine turning itself off.
    const resultAt = resultClock.at;
    const text = capture.text();
    const outcome = classifyConsole(text, { deadlinePassed: watched.deadlinePassed });
    const totalSec = (Date.now() - started) / 1000;
    const firstConsole = capture.firstByteAfterSec();
    const timings = {
      totalSec,
      ...(resultAt !== undefined ? { resultSec: Math.max(0, resultAt - poweredOnAt) / 1000 } : {}),
      ...(firstConsole !== undefined ? { firstConsoleSec: Math.max(0, firstConsole - (poweredOnAt - started) / 1000) } : {}),
    };
    if (watched.cancelled) return { machineId: machine.id, outcome, verdict: 'skip', reason: 'cancelled', consoleLog, cancelled: true, bootFetches: fetches(), timings };
    if (!/Linux version \d/.test(text) && !text.includes('KBISECT-INIT-START')) {
      throw new LabInfraError('no-boot', `${machine.id} never started a kernel (${capture.bytes()} console bytes, no boot banner): firmware, PXE or console trouble${refusedFetches(fetches())}`, machine.id);
    }
    const judgement = judge(outcome, req.policy ?? DEFAULT_VERDICT_POLICY);
    if ('retry' in judgement) throw new LabInfraError('no-boot', `${machine.id}: ${judgement.retry}`, machine.id);
    return { machineId: machine.id, outcome, verdict: judgement.verdict, reason: judgement.reason, consoleLog, cancelled: false, bootFetches: fetches(), timings };
  } catch (err) {
    // Never leave a machine running after a failed test; the error that
    // ended the test is the one worth reporting.
    await ipmi.powerOff().catch(() => undefined);
    throw err instanceof LabInfraError && err.machineId === undefined ? new LabInfraError(err.kind, err.message, machine.id) : err;
  } finally {
    await capture?.close().catch(() => undefined);
    await grant?.revoke().catch(() => undefined);
    await staged?.remove().catch(() => undefined);
  }
}

/** The boot file server's refusals, for the message of a machine that never booted. */
function refusedFetches(fetches: readonly BootFetch[]): string {
  const refused = fetches.filter((f) => f.refused !== undefined);
  if (refused.length === 0) return '';
  return `; the boot HTTP server refused ${refused.map((f) => `${f.method} ${f.file ?? '-'} (${f.status}, ${f.refused})`).join(', ')}`;
}

interface Watched {
  readonly deadlinePassed: boolean;
  readonly cancelled: boolean;
}

async function watch(ipmi: IpmiClient, capture: ConsoleCapture, resultClock: FirstMatchClock, req: BootTestRequest, tuning: BootTestTuning, poweredOnAt: number): Promise<Watched> {
  const deadline = poweredOnAt + req.deadlineSec * 1000;
  const powerPoll = tuning.powerPollMs ?? 2000;
  const grace = tuning.graceMs ?? 5000;
  let settleBy: number | undefined;
  let lastPowerCheck = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = Date.now();
    if (settleBy === undefined && (resultClock.at !== undefined || CRASH_SIGNATURES.some((s) => s.re.test(capture.text())))) settleBy = now + grace;
    if (req.cancelled?.()) return { deadlinePassed: false, cancelled: true };
    if (now - lastPowerCheck >= powerPoll || (settleBy !== undefined && now >= settleBy)) {
      lastPowerCheck = now;
      if ((await ipmi.powerStatus()) === 'off') return { deadlinePassed: false, cancelled: false };
    }
    if (settleBy !== undefined && now >= settleBy) return { deadlinePassed: false, cancelled: false };
    if (now >= deadline) return { deadlinePassed: true, cancelled: false };
  }
}

async function powerOffVerified(ipmi: IpmiClient, machineId: string): Promise<void> {
  if ((await ipmi.powerStatus()) === 'off') return;
  await ipmi.powerOff();
  for (let i = 0; i < 20; i++) {
    if ((await ipmi.powerStatus()) === 'off') return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new LabInfraError('power-state', `${machineId} still reads powered on after 'power off'`, machineId);
}
