import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyConsole, CRASH_SIGNATURES, DEFAULT_VERDICT_POLICY, judge, type BootOutcome, type VerdictPolicy } from './console-classifier.js';
import { openConsole, type ConsoleCapture } from './console-capture.js';
import { IpmiClient, type IpmiOptions } from './ipmi-client.js';
import { LabInfraError } from './lab-errors.js';
import type { MachineSpec } from './machine.js';
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
}

export interface BootTestResult {
  readonly machineId: string;
  readonly outcome: BootOutcome;
  readonly verdict: 'good' | 'bad' | 'skip';
  readonly reason: string;
  readonly consoleLog: string;
  readonly cancelled: boolean;
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
}

const RESULT_OR_END = /KBISECT-RESULT \{|KBISECT-TEST-END/;

/**
 * One test on one machine, the way a lab operator would do it by hand:
 * power off, stage the PXE files, set the next boot to PXE (verified), open
 * the console, power on, watch until a result, a crash, power-off or the
 * deadline, then power off (verified) and remove the staged files.
 * Infrastructure trouble throws LabInfraError; everything else is a verdict.
 */
export async function runBootTest(machine: MachineSpec, password: string, req: BootTestRequest, tuning: BootTestTuning = {}): Promise<BootTestResult> {
  const ipmi = new IpmiClient(machine.bmc, password, tuning.ipmi);
  const started = Date.now();
  await mkdir(req.evidenceDir, { recursive: true });
  const consoleLog = join(req.evidenceDir, `${req.jobId}.console.log`);
  let staged: StagedBoot | undefined;
  let capture: ConsoleCapture | undefined;
  try {
    await powerOffVerified(ipmi, machine.id);
    staged = await stagePxeBoot({ tftpRoot: machine.pxe.tftpRoot, loader: machine.pxe.loader, mac: machine.mac, jobId: req.jobId, kernel: req.kernel, initrd: req.initrd, cmdline: `${machine.cmdline} ${req.cmdline ?? ''}`.trim() });
    await ipmi.setBootPxe();
    capture = await openConsole(machine.console, { logFile: consoleLog, ipmi, ...(req.onConsole ? { onText: req.onConsole } : {}) }).catch((err: unknown) => {
      throw new LabInfraError('console-unavailable', `cannot open the console of ${machine.id}: ${(err as Error).message}`, machine.id);
    });
    await ipmi.powerOn();
    const poweredOnAt = Date.now();
    const watched = await watch(ipmi, capture, req, tuning, poweredOnAt);
    await powerOffVerified(ipmi, machine.id);
    const text = capture.text();
    const outcome = classifyConsole(text, { deadlinePassed: watched.deadlinePassed });
    const totalSec = (Date.now() - started) / 1000;
    const firstConsole = capture.firstByteAfterSec();
    const timings = {
      totalSec,
      ...(watched.resultAt !== undefined ? { resultSec: (watched.resultAt - poweredOnAt) / 1000 } : {}),
      ...(firstConsole !== undefined ? { firstConsoleSec: Math.max(0, firstConsole - (poweredOnAt - started) / 1000) } : {}),
    };
    if (watched.cancelled) return { machineId: machine.id, outcome, verdict: 'skip', reason: 'cancelled', consoleLog, cancelled: true, timings };
    if (!/Linux version \d/.test(text) && !text.includes('KBISECT-INIT-START')) {
      throw new LabInfraError('no-boot', `${machine.id} never started a kernel (${capture.bytes()} console bytes, no boot banner): firmware, PXE or console trouble`, machine.id);
    }
    const judgement = judge(outcome, req.policy ?? DEFAULT_VERDICT_POLICY);
    if ('retry' in judgement) throw new LabInfraError('no-boot', `${machine.id}: ${judgement.retry}`, machine.id);
    return { machineId: machine.id, outcome, verdict: judgement.verdict, reason: judgement.reason, consoleLog, cancelled: false, timings };
  } catch (err) {
    // Never leave a machine running after a failed test; the error that
    // ended the test is the one worth reporting.
    await ipmi.powerOff().catch(() => undefined);
    throw err instanceof LabInfraError && err.machineId === undefined ? new LabInfraError(err.kind, err.message, machine.id) : err;
  } finally {
    await capture?.close().catch(() => undefined);
    await staged?.remove().catch(() => undefined);
  }
}

interface Watched {
  readonly deadlinePassed: boolean;
  readonly cancelled: boolean;
  readonly resultAt?: number;
}

async function watch(ipmi: IpmiClient, capture: ConsoleCapture, req: BootTestRequest, tuning: BootTestTuning, poweredOnAt: number): Promise<Watched> {
  const deadline = poweredOnAt + req.deadlineSec * 1000;
  const powerPoll = tuning.powerPollMs ?? 2000;
  const grace = tuning.graceMs ?? 5000;
  let resultAt: number | undefined;
  let settleBy: number | undefined;
  let lastPowerCheck = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = Date.now();
    const text = capture.text();
    if (resultAt === undefined && RESULT_OR_END.test(text)) resultAt = now;
    if (settleBy === undefined && (resultAt !== undefined || CRASH_SIGNATURES.some((s) => s.re.test(text)))) settleBy = now + grace;
    if (req.cancelled?.()) return { deadlinePassed: false, cancelled: true, ...(resultAt !== undefined ? { resultAt } : {}) };
    if (now - lastPowerCheck >= powerPoll || (settleBy !== undefined && now >= settleBy)) {
      lastPowerCheck = now;
      if ((await ipmi.powerStatus()) === 'off') return { deadlinePassed: false, cancelled: false, ...(resultAt !== undefined ? { resultAt } : {}) };
    }
    if (settleBy !== undefined && now >= settleBy) return { deadlinePassed: false, cancelled: false, ...(resultAt !== undefined ? { resultAt } : {}) };
    if (now >= deadline) return { deadlinePassed: true, cancelled: false, ...(resultAt !== undefined ? { resultAt } : {}) };
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
