import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_VERDICT_POLICY, assertMachinePaths, bootFetchMetrics, formatBootFetch, resolveSecret, runBootTest, runOnPool, type BootFileGrants, type MachineRegistry, type PoolEvent } from '@kbisect/lab';
import { prepareInitramfs } from '@kbisect/reproducers';
import { DEFAULT_REPRODUCER_TIMEOUT_SEC, MAX_REBUILDS, appliedTimeoutSec, stepNames, type BuildJob, type LabTestJob, type LogEvent, type MachineHistory, type MachineHistoryEntry } from '@kbisect/service';
import { forcedReason } from '@kbisect/service/driver';
import { ArtifactMissingError } from './artifact-missing-error.js';
import { ConsoleThrottle } from './console-throttle.js';
import { InfrastructureError } from './infrastructure-error.js';
import type { KernelFetcher, LocalKernel } from './kernel-fetcher.js';
import { recordRunPlaced, recordVerdict } from './record-step.js';
import { loadStep } from './step-context.js';
import type { RequestTrust } from './request-trust.js';
import type { StepStore } from './step-store.js';
import { WorkerConfigError } from './worker-config.js';

export interface LabJobDeps {
  readonly store: StepStore;
  /** What this worker allows and the key to check the API's signature (request-trust.ts). */
  readonly trust: RequestTrust;
  readonly machines: MachineRegistry;
  /** Where each machine's tests and infrastructure failures are kept for the machines page; a failed write never fails the step. @defaultValue none kept */
  readonly history?: Pick<MachineHistory, 'record'>;
  /** Directories a machine's password file, console file and TFTP root must lie under (KBISECT_LAB_ROOTS). */
  readonly labRoots: readonly string[];
  /** Initramfs cache and console logs live under it. */
  readonly cacheDir: string;
  readonly now: () => Date;
  readonly attempt: number;
  /** Infrastructure failures in a row that quarantine a machine. @defaultValue 3 */
  readonly quarantineAfter?: number;
  /** How long a step waits for a ready machine of its pool before it fails as an infrastructure problem. @defaultValue 1800000 */
  readonly machineWaitMs?: number;
  /** @defaultValue 1000 */
  readonly cancelPollMs?: number;
  /** @defaultValue 2000 */
  readonly consoleIntervalMs?: number;
  /**
   * Brings a kernel the build published (job.kernel.artifact) into this host's cache.
   * @defaultValue none: the lab reads the build's paths (one host); a job naming an artifact then ends the bisection (KBISECT_STORE_URL is missing here)
   */
  readonly kernels?: KernelFetcher;
  /** Queues the run's build again, for a kernel the store lost (rebuild n of MAX_REBUILDS). @defaultValue none: a lost kernel fails like any infrastructure error */
  readonly rebuild?: (job: BuildJob) => Promise<void>;
  /** Prepares the reproducer's initramfs. @defaultValue prepareInitramfs (cached under cacheDir) */
  readonly prepare?: typeof prepareInitramfs;
  /** Runs the boot test on a leased machine of the pool. @defaultValue runOnPool against `machines` */
  readonly onPool?: typeof runOnPool;
  /** The worker's boot file server, for machines with boot method ipxe-http. */
  readonly bootFiles?: BootFileGrants;
}

export type LabJobOutcome = 'recorded' | 'duplicate' | 'stale' | 'cancelled' | 'aborted' | 'rebuilding';

/**
 * The second half of a kernel-probe step: boot the built kernel with the
 * reproducer's initramfs on a machine of the probe's pool and record the
 * verdict, with the console log, the reproducer's metrics and the machine.
 * The console is streamed into step-progress events as it arrives.
 */
export async function runLabTestJob(job: LabTestJob, deps: LabJobDeps): Promise<LabJobOutcome> {
  const step = await loadStep(deps.store, job, deps.trust);
  if (step.kind !== 'ready') return step.kind;
  const { request, grant } = step;
  if (request.probe.type !== 'kernel') throw new InfrastructureError('a lab job for a bisection without a kernel probe');
  const probe = request.probe;
  const kernel = job.kernel;
  const at = () => deps.now().toISOString();
  // Progress events are appended in order, never blocking the console reader. Console lines
  // go to the console stream: in the log they would move every view's cache key.
  let chain = Promise.resolve();
  const progress = (phase: 'boot' | 'console' | 'lab', message: string, lines?: string[]): void => {
    // Keys in the order step-progress events always had (type, at, commit, phase, message, lines): the wire text stays the same.
    const rest = { message, ...(lines ? { lines } : {}) };
    const head = { type: 'step-progress', at: at(), commit: job.commit } as const;
    const append = phase === 'console'
      ? () => deps.store.console.append(job.bisectionId, { ...head, phase, ...rest })
      : () => deps.store.log.append(job.bisectionId, { ...head, phase, ...rest } satisfies LogEvent);
    chain = chain.then(() => append().then(() => undefined)).catch(() => undefined);
  };
  const remember = (machineId: string, entry: MachineHistoryEntry): void => {
    const history = deps.history;
    if (history) chain = chain.then(() => history.record(machineId, entry)).catch(() => undefined);
  };
  // A download that fails its sha256 checks is retried by the store client, then throws: the job is retried, the kernel never booted.
  let local: LocalKernel | undefined;
  if (kernel.artifact !== undefined) {
    // The build host's paths mean nothing here, and booting whatever lies there would test some other kernel.
    if (!deps.kernels) throw new WorkerConfigError(`kernel ${kernel.artifact.slice(0, 12)} was published to an artifact store, but this lab worker has none: set KBISECT_STORE_URL and KBISECT_STORE_TOKEN_FILE (a lab credential)`);
    try {
      local = await deps.kernels.fetch(kernel.artifact);
    } catch (err) {
      if (!(err instanceof ArtifactMissingError) || !deps.rebuild || (job.rebuild ?? 0) >= MAX_REBUILDS) throw err;
      const rebuild = (job.rebuild ?? 0) + 1;
      progress('lab', `kernel ${kernel.artifact.slice(0, 12)} is no longer in the artifact store: building it again (${rebuild} of ${MAX_REBUILDS})`);
      await chain;
      const { kind: _kind, kernel: _kernel, ...run } = job;
      await deps.rebuild({ ...run, kind: 'build', rebuild });
      return 'rebuilding';
    }
    progress('lab', `kernel ${kernel.artifact.slice(0, 12)} from the artifact store, every file's sha256 checked`);
  }
  const bzImage = local ? local.bzImage : kernel.bzImage;
  const modules = local ? local.modules : kernel.modules;
  let initrd;
  try {
    // A reproducer that cannot be prepared is the deployment's to fix (ReproducerError's category): the processor ends the bisection with it.
    initrd = await (deps.prepare ?? prepareInitramfs)(probe.reproducer.name, probe.reproducer.args ?? [], { cacheDir: deps.cacheDir, ...(modules ? { modulesTar: modules } : {}) });
  } catch (err) {
    local?.release();
    throw err;
  }
  let cancelled = false;
  const poll = setInterval(() => void deps.store.isCancelled(job.bisectionId).then((c) => { cancelled ||= c; }, () => undefined), deps.cancelPollMs ?? 1000);
  const throttle = new ConsoleThrottle({ intervalMs: deps.consoleIntervalMs ?? 2000 });
  const name = `${job.bisectionId.slice(0, 8)}-${stepNames.suffix(job).slice(0, 60)}-a${deps.attempt}`;
  const onPool = (e: PoolEvent): void => {
    if (e.type === 'leased') {
      progress('lab', `booting on ${e.machineId} (attempt ${e.attempt})`);
      chain = chain.then(() => recordRunPlaced(deps.store, job, e.machineId, at())).catch(() => undefined);
    } else if (e.type === 'infra-failure') {
      progress('lab', `${e.machineId}: infrastructure failure (${e.kind}), ${e.infraFailures} in a row: ${e.message}`);
      remember(e.machineId, { kind: 'infra-failure', at: at(), bisection: job.bisectionId, commit: job.commit, failure: e.kind, message: e.message });
    }
    else if (e.type === 'quarantined') progress('lab', `${e.machineId} quarantined: ${e.reason}`);
    else progress('lab', `waiting: ${e.reason}`);
  };
  let ran;
  try {
    ran = await (deps.onPool ?? runOnPool)(deps.machines, probe.pool, `${job.bisectionId}:${stepNames.suffix(job)}`, async (machine) => {
      // Before any of the machine's files is read or written.
      await assertMachinePaths(machine, deps.labRoots);
      return runBootTest(machine, await resolveSecret(machine.bmc.password), {
        jobId: name,
        kernel: bzImage,
        initrd: initrd.path,
        cmdline: `kbisect.test=${probe.reproducer.name}${machine.pciAddress ? ` kbisect.pci=${machine.pciAddress}` : ''}`,
        deadlineSec: appliedTimeoutSec(request, grant, DEFAULT_REPRODUCER_TIMEOUT_SEC),
        evidenceDir: join(deps.cacheDir, 'evidence', job.bisectionId),
        policy: { ...DEFAULT_VERDICT_POLICY, crashesCount: probe.reproducer.crashesCount ?? false },
        onConsole: (chunk) => {
          const lines = throttle.push(chunk, Date.now());
          if (lines) progress('console', `${lines.length} console line(s)`, lines);
        },
        cancelled: () => cancelled,
        ...(deps.bootFiles ? { bootFiles: deps.bootFiles } : {}),
      });
    }, { quarantineAfter: deps.quarantineAfter ?? 3, waitForMachineMs: deps.machineWaitMs ?? 1_800_000, onEvent: onPool });
  } finally {
    local?.release();
    clearInterval(poll);
    const rest = throttle.flush(Date.now());
    if (rest) progress('console', `${rest.length} console line(s)`, rest);
    await chain;
  }
  const result = ran.result;
  if (result.cancelled) return 'cancelled';
  // Each fetch of the kernel and initramfs over HTTP, after the console: what the machine asked for and got.
  const fetchLines = result.bootFetches.map(formatBootFetch);
  for (const line of fetchLines) progress('lab', `boot file: ${line}`);
  const consoleText = await readFile(result.consoleLog, 'utf8').catch(() => '');
  const evidence = await deps.store.putEvidence(job.bisectionId, `console-${stepNames.suffix(job)}`, fetchLines.length > 0 ? `${consoleText}\n--- kbisect: boot files over HTTP ---\n${fetchLines.join('\n')}\n` : consoleText);
  await chain;
  const metrics: Record<string, number> = { ...(result.outcome.kind === 'result' ? result.outcome.metrics : {}), buildSeconds: kernel.buildSeconds, totalSeconds: result.timings.totalSec, ...bootFetchMetrics(result.bootFetches) };
  if (result.timings.resultSec !== undefined) metrics.resultSeconds = result.timings.resultSec;
  const reason = forcedReason(kernel.forced, result.reason);
  const recorded = await recordVerdict(deps.store, job, {
    verdict: result.verdict, reason,
    durationMs: Math.round((kernel.fromCache ? 0 : kernel.buildSeconds * 1000) + result.timings.totalSec * 1000),
    evidence, buildEvidence: kernel.buildEvidence, metrics, machine: result.machineId,
  }, at());
  if (recorded) {
    remember(result.machineId, { kind: 'test', at: at(), bisection: job.bisectionId, commit: job.commit, verdict: result.verdict, reason, ...(job.purpose ? { purpose: job.purpose } : {}) });
    await chain;
  }
  return recorded ? 'recorded' : 'duplicate';
}
