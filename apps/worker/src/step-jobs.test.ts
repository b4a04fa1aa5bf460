/**
 * Step-job logic through its injected dependencies: an in-memory store that
 * replays like the real one, a fake repository and a fake command runner.
 * (The real-program paths are covered by test/service.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { categoryOf } from '@kbisect/bisect';
import { graphOf } from '@kbisect/bisect/testing';
import { GitCommandError, GoodNotAncestorError } from '@kbisect/git';
import { LabConfigError, LabInfraError, type BootTestResult, type MachineRegistry, type PoolEvent } from '@kbisect/lab';
import { foldAll, replayedOf, sealGrant, type BuildJob, type CommandTestJob, type LabTestJob, type LogEvent, type MachineHistoryEntry } from '@kbisect/service';
import type { CommandRun } from './command-runner.js';
import { endOnTerminalError } from './record-step.js';
import type { WorkerRepo } from './repo-port.js';
import { runTestJob } from './run-test-job.js';
import { testCheckouts } from './test-checkouts.js';
import { runBuildJob, type BuildJobDeps } from './build-step-job.js';
import { runLabTestJob, type LabJobDeps } from './lab-test-job.js';
import type { ArtifactCache } from '@kbisect/kbuild';
import { unavailableSandbox } from '@kbisect/sandbox';
import type { StepStore } from './step-store.js';
import type { RequestTrust } from './request-trust.js';
import { WorkerRefusalError } from './worker-refusal-error.js';

const history = { parents: Array.from({ length: 8 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 7 };
const { graph, good, bad } = graphOf(history);
const id = '00000000-0000-4000-8000-000000000001';
const at = '2026-11-30T00:00:00Z';

const commandProbe = { type: 'command' as const, command: 'make test' };
const kernelProbe = { type: 'kernel' as const, configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot' } };

// The API's signing key as this worker holds it; every bisection below was signed with it unless a test says otherwise.
const key = randomBytes(32);
const trust = { key, allowCommandProbe: true };

function memoryStore(options: Record<string, unknown> = {}, probe: typeof commandProbe | typeof kernelProbe = commandProbe, signed = true, maxTimeoutSec?: number): StepStore & { events: LogEvent[]; evidence: Map<string, string> } {
  const request = { repo: '/r', good: ['v1'], bad: 'v2', probe, options };
  const grant = sealGrant(key, { id, by: 't', at, request }, { role: 'submit', commandProbe: true, maxRangeCommits: 1000, ...(maxTimeoutSec !== undefined ? { maxTimeoutSec } : {}) });
  const events: LogEvent[] = [
    { type: 'created', at, by: 't', request, ...(signed ? { grant } : {}) },
    { type: 'initialized', at, bad, goods: [good], commits: graph.commits.length, untestable: {} },
  ];
  const tokens = new Set<string>();
  const evidence = new Map<string, string>();
  return {
    events, evidence,
    load: async () => {
      const fold = foldAll(graph, events);
      return { fold, replayed: replayedOf(fold) };
    },
    console: { append: async (_id, event) => {
      events.push(event);
      return `${events.length}-0`;
    } },
    putEvidence: async (_id, name, text) => {
      evidence.set(name, text);
      return name;
    },
    isCancelled: async () => false,
    log: {
      append: async (_id, event) => {
        events.push(event);
        return `${events.length}-0`;
      },
      appendOnce: async (_id, token, event) => {
        if (tokens.has(token)) return undefined;
        tokens.add(token);
        events.push(event);
        return `${events.length}-0`;
      },
    },
  };
}

const fakeRepo = (reverts: string[] = [], revertFails = false): WorkerRepo => {
  const revert = async (culprit: string): Promise<void> => {
    if (revertFails) throw new Error('conflict in mm/gup.c');
    reverts.push(culprit);
  };
  return {
    openCheckout: (dir) => ({ dir, checkout: async () => undefined, revert, dispose: async () => undefined }),
    revertInWorktree: async (_dir, culprit) => revert(culprit),
  } as Partial<WorkerRepo> as WorkerRepo;
};

const exited = (exitCode: number, output = 'ok\n'): (() => Promise<CommandRun>) => async () => ({ kind: 'exited', exitCode, output, durationMs: 12, isolation: 'bwrap' });

function firstJob(store: ReturnType<typeof memoryStore>): Promise<CommandTestJob> {
  // A command-test job for the engine's first step; other kinds are made from it.
  return store.load(id).then(({ replayed }) => {
    if (replayed.phase !== 'bisecting' || replayed.commands[0]?.type !== 'test') throw new Error('no first step');
    return { kind: 'command-test', bisectionId: id, commit: replayed.commands[0].commit };
  });
}

const deps = (store: StepStore, runCommand: () => Promise<CommandRun>, repo = fakeRepo()) => ({ store, trust, openRepo: async () => repo, checkouts: testCheckouts(['/nonexistent']), sandbox: unavailableSandbox('the fake runCommand replaces it'), now: () => new Date(at), defaultTimeoutSec: 60, attempt: 1, cancelPollMs: 60_000, runCommand });

describe('command test job', () => {
  it('refuses a bisection written straight into the store (no signature from the API), with the reason, and runs nothing', async () => {
    const store = memoryStore({}, commandProbe, false);
    const job = await firstJob(store);
    let ran = false;
    const outcome = await endOnTerminalError(store, job, () => new Date(at), () => runTestJob(job, deps(store, async () => {
      ran = true;
      return { kind: 'exited', exitCode: 0, output: '', durationMs: 1, isolation: 'bwrap' };
    })));
    expect(outcome).toBe('aborted');
    expect(ran).toBe(false);
    expect(store.events.at(-1)).toMatchObject({ type: 'failed', error: expect.stringContaining('no signature from the API') });
  });

  it("leaves a signed command probe to another worker when this one's own settings refuse it (retried, the bisection goes on)", async () => {
    const refusing: { trust: RequestTrust; says: string }[] = [
      { trust: { key, allowCommandProbe: false }, says: 'does not run command probes' },
      { trust: { allowCommandProbe: true, acceptUnsigned: false }, says: 'holds no request key' },
    ];
    for (const { trust: own, says } of refusing) {
      const store = memoryStore();
      const job = await firstJob(store);
      let ran = false;
      const run = endOnTerminalError(store, job, () => new Date(at), () => runTestJob(job, { ...deps(store, async () => {
        ran = true;
        return exited(0)();
      }), trust: own }));
      await expect(run).rejects.toSatisfy((e: unknown) => e instanceof WorkerRefusalError && categoryOf(e) === 'infrastructure' && e.message.includes(says));
      expect(ran).toBe(false);
      expect(store.events.some((e) => e.type === 'failed' || e.type === 'verdict')).toBe(false);
    }
  });

  it('refuses a request edited in Redis after the API signed it', async () => {
    const store = memoryStore();
    const created = store.events[0]!;
    if (created.type !== 'created') throw new Error('fixture');
    store.events[0] = { ...created, request: { ...created.request, probe: { type: 'command', command: 'id' } } };
    const job = await firstJob(store);
    const outcome = await endOnTerminalError(store, job, () => new Date(at), () => runTestJob(job, deps(store, exited(0))));
    expect(outcome).toBe('aborted');
    expect(store.events.at(-1)).toMatchObject({ type: 'failed', error: expect.stringContaining('signature does not match') });
  });

  it('records the verdict once with its evidence, and a second run of the same job is a duplicate', async () => {
    const store = memoryStore();
    const job = await firstJob(store);
    expect(await runTestJob(job, deps(store, exited(1, 'BUG\n')))).toBe('recorded');
    const verdict = store.events.find((e): e is Extract<LogEvent, { type: 'verdict' }> => e.type === 'verdict');
    expect(verdict).toMatchObject({ commit: job.commit, verdict: 'bad', source: 'probe', evidence: `test-${job.commit}`, durationMs: 12 });
    expect(verdict).not.toHaveProperty('purpose');
    expect(store.evidence.get(`test-${job.commit}`)).toBe('BUG\n');
    expect(await runTestJob(job, deps(store, exited(0)))).toBe('duplicate');
    expect(store.events.filter((e) => e.type === 'verdict')).toHaveLength(1);
  });

  it("runs the probe no longer than the token's signed cap, though this worker's default is longer", async () => {
    const timeouts: number[] = [];
    const capture = async (_command: string, opts: { timeoutMs: number }): Promise<CommandRun> => {
      timeouts.push(opts.timeoutMs);
      return exited(0)();
    };
    const capped = memoryStore({}, commandProbe, true, 30);
    expect(await runTestJob(await firstJob(capped), { ...deps(capped, exited(0)), runCommand: capture })).toBe('recorded');
    const uncapped = memoryStore();
    expect(await runTestJob(await firstJob(uncapped), { ...deps(uncapped, exited(0)), runCommand: capture })).toBe('recorded');
    // The worker's default here is 60 s.
    expect(timeouts).toEqual([30_000, 60_000]);
  });

  it('names a later run by its purpose and run number, in the verdict and its evidence', async () => {
    const store = memoryStore({ policy: 'bayes' });
    const job: CommandTestJob = { ...(await firstJob(store)), purpose: 'calibrate', run: 2 };
    expect(await runTestJob(job, deps(store, exited(0)))).toBe('recorded');
    expect(store.events.at(-1)).toMatchObject({ type: 'verdict', commit: job.commit, purpose: 'calibrate', run: 2, evidence: `test-${job.commit}-calibrate-2` });
  });

  it('ends the bisection on an abort exit code, and throws (to be retried) on a timeout', async () => {
    const store = memoryStore();
    const job = await firstJob(store);
    expect(await runTestJob(job, deps(store, exited(200)))).toBe('aborted');
    expect(store.events.at(-1)).toMatchObject({ type: 'failed', error: expect.stringContaining(job.commit) });
    const again = memoryStore();
    await expect(runTestJob(job, deps(again, async () => ({ kind: 'timed-out', output: '', durationMs: 60_000, isolation: 'bwrap' })))).rejects.toMatchObject({ category: 'infrastructure' });
  });

  it('records a revert that does not apply as unavailable, without a verdict', async () => {
    const store = memoryStore();
    const job: CommandTestJob = { ...(await firstJob(store)), purpose: 'verify-revert', revert: good };
    expect(await runTestJob(job, deps(store, exited(0), fakeRepo([], true)))).toBe('recorded');
    expect(store.events.at(-1)).toMatchObject({ type: 'revert-unavailable', reason: expect.stringContaining('conflict in mm/gup.c') });
    expect(store.events.some((e) => e.type === 'verdict')).toBe(false);
  });
});

describe('the error taxonomy decides what a failing step does', () => {
  const cases: [string, Error, 'retried' | 'ends the bisection'][] = [
    ['a git command failing (infrastructure)', new GitCommandError('fetch', 'connection reset'), 'retried'],
    ['a lab machine failing (infrastructure)', new LabInfraError('bmc-unreachable', 'no answer from the BMC'), 'retried'],
    ['an unexpected error (taken as infrastructure)', new Error('ECONNRESET'), 'retried'],
    ['a good that is not an ancestor (user)', new GoodNotAncestorError('v4.5', good, bad), 'ends the bisection'],
    ['an empty pool (configuration)', new LabConfigError("pool 'iommu' has no machines", 'pool'), 'ends the bisection'],
  ];
  for (const [name, err, expected] of cases) {
    it(`${name}: ${expected}`, async () => {
      const store = memoryStore();
      const job = await firstJob(store);
      const run = endOnTerminalError(store, job, () => new Date(at), () => Promise.reject(err));
      if (expected === 'retried') {
        await expect(run).rejects.toBe(err);
        expect(store.events.some((e) => e.type === 'failed')).toBe(false);
      } else {
        expect(await run).toBe('aborted');
        expect(store.events.at(-1)).toMatchObject({ type: 'failed', error: err.message });
      }
    });
  }
});

describe('build job', () => {
  const buildDeps = (store: StepStore, build: NonNullable<BuildJobDeps['build']>, enqueued: LabTestJob[]): BuildJobDeps => ({
    store, trust, openRepo: async () => fakeRepo(), cache: {} as ArtifactCache, workDir: '/nonexistent', jobs: 1, ccacheDir: '/nonexistent', sandbox: unavailableSandbox('the fake build replaces it'), now: () => new Date(at), attempt: 1,
    enqueueTest: async (job) => void enqueued.push(job), build,
  });

  it('records a kernel that cannot be built as a skip with the build log, through the same verdict recorder', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: BuildJob = { ...(await firstJob(store)), kind: 'build' };
    const enqueued: LabTestJob[] = [];
    expect(await runBuildJob(job, buildDeps(store, async () => ({ kind: 'skip', reason: 'CONFIG_THP cannot be enabled', log: '/nonexistent/build.log' }), enqueued))).toBe('recorded');
    expect(store.events.at(-1)).toMatchObject({ type: 'verdict', commit: job.commit, verdict: 'skip', reason: 'build: CONFIG_THP cannot be enabled', buildEvidence: `build-${job.commit}` });
    expect(enqueued).toEqual([]);
  });

  it('hands a built kernel to the lab as a lab-test job for the same run', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: BuildJob = { ...(await firstJob(store)), kind: 'build', purpose: 'verify-revert', revert: good };
    const enqueued: LabTestJob[] = [];
    const artifacts = { key: 'f'.repeat(64), dir: '/a', bzImage: '/a/bzImage', config: '/a/.config', systemMap: '/a/System.map', log: '/a/build.log', meta: { configHash: 'c0ffee' } };
    expect(await runBuildJob(job, buildDeps(store, async () => ({ kind: 'built', artifacts, fromCache: false, seconds: 42, forced: ['CONFIG_THP'] }), enqueued))).toBe('built');
    expect(enqueued).toEqual([{ ...job, kind: 'lab-test', kernel: { bzImage: '/a/bzImage', configHash: 'c0ffee', fromCache: false, buildSeconds: 42, forced: ['CONFIG_THP'], buildEvidence: `build-${job.commit}-verify-revert-0` } }]);
    expect(store.events.some((e) => e.type === 'verdict')).toBe(false);
  });

  it('publishes the built kernel for the bisection before the lab hears of it, and names its artifact key', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: BuildJob = { ...(await firstJob(store)), kind: 'build' };
    const enqueued: LabTestJob[] = [];
    const published: string[] = [];
    const artifacts = { key: 'f'.repeat(64), dir: '/a', bzImage: '/a/bzImage', config: '/a/.config', systemMap: '/a/System.map', log: '/a/build.log', meta: { configHash: 'c0ffee' } };
    const publisher = { publish: async (bisectionId: string, a: { key: string }) => { published.push(`${bisectionId}:${a.key}`); expect(enqueued).toEqual([]); return a.key; } };
    const deps = { ...buildDeps(store, async () => ({ kind: 'built', artifacts, fromCache: true, seconds: 1, forced: [] }), enqueued), publisher };
    expect(await runBuildJob(job, deps)).toBe('built');
    expect(published).toEqual([`${job.bisectionId}:${'f'.repeat(64)}`]);
    expect(enqueued[0]?.kernel).toMatchObject({ artifact: 'f'.repeat(64), bzImage: '/a/bzImage' });
  });
});

describe('lab test job', () => {
  const kernel = { bzImage: '/a/bzImage', configHash: 'c0ffee', fromCache: false, buildSeconds: 40, forced: ['CONFIG_THP'], buildEvidence: 'build-x' };
  const booted = (over: Partial<BootTestResult> = {}): BootTestResult => ({
    machineId: 'vm1', verdict: 'bad', reason: 'test reported bad', consoleLog: '/nonexistent/console.log', cancelled: false, bootFetches: [],
    outcome: { kind: 'result', verdict: 'bad', metrics: { mismatches: 17 }, line: 'KBISECT-RESULT {"verdict":"bad","mismatches":17}' },
    timings: { totalSec: 20, resultSec: 15 }, ...over,
  });
  const labDeps = (store: StepStore, onPool: NonNullable<LabJobDeps['onPool']>): LabJobDeps => ({
    store, trust, labRoots: ['/'], machines: {} as MachineRegistry, cacheDir: '/nonexistent', now: () => new Date(at), attempt: 1, cancelPollMs: 60_000, consoleIntervalMs: 60_000,
    prepare: async () => ({ path: '/nonexistent/initrd', fromCache: true, key: 'k' }), onPool,
  });

  it('records the verdict with the machine, metrics and build evidence, and says a forced build in the reason', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: LabTestJob = { ...(await firstJob(store)), kind: 'lab-test', kernel };
    const onPool = (async () => ({ result: booted(), machineId: 'vm1', attempts: [] })) as unknown as NonNullable<LabJobDeps['onPool']>;
    expect(await runLabTestJob(job, labDeps(store, onPool))).toBe('recorded');
    expect(store.events.at(-1)).toMatchObject({
      type: 'verdict', commit: job.commit, verdict: 'bad', machine: 'vm1', buildEvidence: 'build-x', evidence: `console-${job.commit}`,
      reason: 'forced (CONFIG_THP without BROKEN): test reported bad', metrics: { mismatches: 17, buildSeconds: 40, totalSeconds: 20, resultSeconds: 15 },
      durationMs: 60_000,
    });
  });

  it("keeps the test and an infrastructure failure on the way in each machine's history", async () => {
    const store = memoryStore({}, kernelProbe);
    const job: LabTestJob = { ...(await firstJob(store)), kind: 'lab-test', kernel };
    const kept: [string, MachineHistoryEntry][] = [];
    const history = { record: async (id: string, entry: MachineHistoryEntry) => void kept.push([id, entry]) };
    const onPool = (async (_m: unknown, _pool: string, _holder: string, _run: unknown, opts: { onEvent?: (e: PoolEvent) => void }) => {
      opts.onEvent?.({ type: 'infra-failure', machineId: 'vm0', kind: 'no-boot', message: 'vm0 never started a kernel', infraFailures: 1 });
      return { result: booted(), machineId: 'vm1', attempts: [] };
    }) as unknown as NonNullable<LabJobDeps['onPool']>;
    expect(await runLabTestJob(job, { ...labDeps(store, onPool), history })).toBe('recorded');
    expect(kept).toEqual([
      ['vm0', { kind: 'infra-failure', at: new Date(at).toISOString(), bisection: job.bisectionId, commit: job.commit, failure: 'no-boot', message: 'vm0 never started a kernel' }],
      ['vm1', { kind: 'test', at: new Date(at).toISOString(), bisection: job.bisectionId, commit: job.commit, verdict: 'bad', reason: 'forced (CONFIG_THP without BROKEN): test reported bad', ...(job.purpose ? { purpose: job.purpose } : {}) }],
    ]);
  });

  it('boots the copy it fetched by artifact key, not the build host\'s path, and lets the copy go after the boot', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: LabTestJob = { ...(await firstJob(store)), kind: 'lab-test', kernel: { ...kernel, artifact: 'e'.repeat(64), modules: '/a/modules.tar.gz' } };
    const held: string[] = [];
    const kernels = { fetch: async (key: string) => { held.push(key); return { bzImage: `/lab/${key}/bzImage`, modules: `/lab/${key}/modules.tar.gz`, release: () => void held.pop() }; } };
    let heldDuringBoot: string[] = [];
    const onPool = (async () => {
      heldDuringBoot = [...held];
      return { result: booted(), machineId: 'vm1', attempts: [] };
    }) as unknown as NonNullable<LabJobDeps['onPool']>;
    let modulesTar: string | undefined;
    const deps: LabJobDeps = { ...labDeps(store, onPool), kernels, prepare: async (_n, _a, o) => { modulesTar = o.modulesTar; return { path: '/nonexistent/initrd', fromCache: true, key: 'k' }; } };
    expect(await runLabTestJob(job, deps)).toBe('recorded');
    expect(modulesTar).toBe(`/lab/${'e'.repeat(64)}/modules.tar.gz`);
    expect(heldDuringBoot).toEqual(['e'.repeat(64)]);
    expect(held).toEqual([]);
    expect(store.events.some((e) => e.type === 'step-progress' && e.message.includes('from the artifact store'))).toBe(true);
  });

  it('refuses to boot the build host\'s paths when the kernel was published to a store this worker has none of: the bisection ends naming KBISECT_STORE_URL', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: LabTestJob = { ...(await firstJob(store)), kind: 'lab-test', kernel: { ...kernel, artifact: 'e'.repeat(64) } };
    let boots = 0;
    const onPool = (async () => { boots++; return { result: booted(), machineId: 'vm1', attempts: [] }; }) as unknown as NonNullable<LabJobDeps['onPool']>;
    const thrown = await runLabTestJob(job, labDeps(store, onPool)).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code: 'KBISECT_ERR_WORKER_CONFIG', category: 'configuration' });
    expect(await endOnTerminalError(store, job, () => new Date(at), () => runLabTestJob(job, labDeps(store, onPool)))).toBe('aborted');
    expect(store.events.at(-1)).toMatchObject({ type: 'failed', error: expect.stringContaining('KBISECT_STORE_URL') });
    expect(boots).toBe(0);
  });

  it('puts each fetch of the kernel and initramfs over HTTP into the evidence, the step log and the metrics', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: LabTestJob = { ...(await firstJob(store)), kind: 'lab-test', kernel };
    const bootFetches = [
      { at, machineId: 'vm1', jobId: 'j', method: 'GET', file: 'vmlinuz', status: 404, bytes: 0, ms: 1, complete: false, refused: 'expired token' },
      { at, machineId: 'vm1', jobId: 'j', method: 'GET', file: 'vmlinuz', status: 200, bytes: 8_123_456, ms: 412, complete: true },
      { at, machineId: 'vm1', jobId: 'j', method: 'GET', file: 'initrd.img', status: 200, bytes: 9_500_000, ms: 380, complete: true },
    ];
    const onPool = (async () => ({ result: booted({ bootFetches }), machineId: 'vm1', attempts: [] })) as unknown as NonNullable<LabJobDeps['onPool']>;
    expect(await runLabTestJob(job, labDeps(store, onPool))).toBe('recorded');
    expect(store.evidence.get(`console-${job.commit}`)).toBe(`\n--- kbisect: boot files over HTTP ---\n${at} vm1 GET vmlinuz: 404 refused (expired token)\n${at} vm1 GET vmlinuz: 200, 8123456 bytes in 412 ms\n${at} vm1 GET initrd.img: 200, 9500000 bytes in 380 ms\n`);
    expect(store.events.filter((e) => e.type === 'step-progress' && e.message.startsWith('boot file: ')).map((e) => e.type === 'step-progress' && e.message)).toEqual([
      `boot file: ${at} vm1 GET vmlinuz: 404 refused (expired token)`, `boot file: ${at} vm1 GET vmlinuz: 200, 8123456 bytes in 412 ms`, `boot file: ${at} vm1 GET initrd.img: 200, 9500000 bytes in 380 ms`,
    ]);
    expect(store.events.at(-1)).toMatchObject({ type: 'verdict', metrics: { kernelFetchMs: 412, kernelBytes: 8_123_456, initrdFetchMs: 380 } });
  });

  it('leaves a lab configuration error to the taxonomy: the bisection ends with its message', async () => {
    const store = memoryStore({}, kernelProbe);
    const job: LabTestJob = { ...(await firstJob(store)), kind: 'lab-test', kernel };
    const onPool = (async () => { throw new LabConfigError("pool 'virtual' has no machines", 'pool'); }) as unknown as NonNullable<LabJobDeps['onPool']>;
    expect(await endOnTerminalError(store, job, () => new Date(at), () => runLabTestJob(job, labDeps(store, onPool)))).toBe('aborted');
    expect(store.events.at(-1)).toMatchObject({ type: 'failed', error: "pool 'virtual' has no machines" });
  });
});
