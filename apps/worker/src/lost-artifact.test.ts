/**
 * A kernel the artifact store lost between the build and the boot (its disk
 * failed, or it was evicted after its pins lapsed): the lab job has it built
 * and published again instead of failing the step. Real Redis (the bisection's
 * log, the build queue), a real store, and the real build and lab job logic;
 * only the compiler and the machine are stand-ins.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFields, runRef } from '@kbisect/bisect';
import { ArtifactDisk, StoreClient } from '@kbisect/artifact-store';
import type { ArtifactCache, CachedBuild } from '@kbisect/kbuild';
import type { BootTestResult, MachineRegistry } from '@kbisect/lab';
import { BuildJobSchema, MAX_REBUILDS, jobIds, queueNames, type BuildJob, type LabTestJob } from '@kbisect/service';
import { unavailableSandbox } from '@kbisect/sandbox';
import { BUILD_TOKEN, LAB_TOKEN, startTestStore, type TestStore } from '../../../packages/artifact-store/src/store.test-support.js';
import { ArtifactMissingError } from './artifact-missing-error.js';
import { UNSIGNED_KERNEL_PROBES } from './unsigned-trust.test-support.js';
import { runBuildJob, type BuildJobDeps } from './build-step-job.js';
import { storeFetcher } from './kernel-fetcher.js';
import { storePublisher } from './kernel-publisher.js';
import { runLabTestJob, type LabJobDeps } from './lab-test-job.js';
import { queueRebuild } from './queue-rebuild.js';
import type { WorkerRepo } from './repo-port.js';
import { sharedWorlds } from './shared-world.test-support.js';

const { namespace, store, redis, world, bisection, events, close } = sharedWorlds('lost-artifact');
afterAll(close);

const KEY = '7'.repeat(64);
const trust = UNSIGNED_KERNEL_PROBES;
const booted: BootTestResult = {
  machineId: 'vm1', verdict: 'good', reason: 'test reported good', consoleLog: '/nonexistent/console.log', cancelled: false, bootFetches: [],
  outcome: { kind: 'result', verdict: 'good', metrics: {}, line: 'KBISECT-RESULT {"verdict":"good"}' }, timings: { totalSec: 3 },
};

describe('a kernel the artifact store lost before the lab fetched it', () => {
  let t: TestStore;
  let scratch: string;
  let buildQueue: Queue;
  let built: CachedBuild;
  /** The modules archive each boot's initramfs was made from: the lab's own copy. */
  let bootedModules: string[];

  beforeEach(async () => {
    t = await startTestStore();
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-lost-artifact-'));
    buildQueue = new Queue(queueNames(namespace).build, { connection: redis });
    const files = { bzImage: 'bzImage of the step', config: 'CONFIG_X=y\n', 'System.map': 'ffff T start\n', 'build.log': 'make\n', 'modules.tar.gz': 'modules of the step' };
    for (const [name, text] of Object.entries(files)) await writeFile(join(scratch, name), text);
    built = { key: KEY, dir: scratch, bzImage: join(scratch, 'bzImage'), config: join(scratch, 'config'), systemMap: join(scratch, 'System.map'), log: join(scratch, 'build.log'), modules: join(scratch, 'modules.tar.gz'), meta: { configHash: 'c0ffee' } };
    bootedModules = [];
  });
  afterEach(async () => {
    await buildQueue.obliterate({ force: true });
    await buildQueue.close();
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  /** The build role's job: the kernel "built" (the build host's cache has it) and published to the real store. */
  const runBuild = async (job: BuildJob): Promise<LabTestJob> => {
    const handed: LabTestJob[] = [];
    const deps: BuildJobDeps = {
      store, trust, openRepo: async () => ({}) as WorkerRepo, cache: {} as ArtifactCache, workDir: join(scratch, 'slot'), jobs: 1, ccacheDir: join(scratch, 'ccache'),
      sandbox: unavailableSandbox('the stand-in build replaces it'), now: () => new Date(), attempt: 1,
      build: async () => ({ kind: 'built', artifacts: built, fromCache: true, seconds: 1, forced: [] }),
      publisher: storePublisher(new StoreClient(t.url, BUILD_TOKEN)),
      enqueueTest: async (next) => void handed.push(next),
    };
    expect(await runBuildJob(job, deps)).toBe('built');
    expect(handed).toHaveLength(1);
    return handed[0]!;
  };
  /** The test role's job, with the wiring start-test-worker gives it. */
  const labDeps = async (): Promise<LabJobDeps> => ({
    store, trust, machines: {} as MachineRegistry, labRoots: ['/'], cacheDir: scratch, now: () => new Date(), attempt: 1, cancelPollMs: 60_000, consoleIntervalMs: 60_000,
    kernels: storeFetcher(new StoreClient(t.url, LAB_TOKEN), await ArtifactDisk.open(join(scratch, 'lab-cache'), 1024 ** 2)),
    rebuild: queueRebuild(buildQueue, { attempts: 3, priority: 50 }),
    prepare: async (_name, _args, opts) => {
      bootedModules.push(await readFile(opts.modulesTar!, 'utf8'));
      return { path: '/nonexistent/initrd', fromCache: true, key: 'k' };
    },
    onPool: (async () => ({ result: booted, machineId: 'vm1', attempts: [] })) as unknown as NonNullable<LabJobDeps['onPool']>,
  });
  const loseIt = (): Promise<void> => rm(join(t.dir, 'store', 'artifacts', 'objects', KEY), { recursive: true, force: true });
  const firstBuild = async (): Promise<{ id: string; job: BuildJob }> => {
    const w = world();
    const id = await bisection(w);
    const { replayed } = await store.load(id);
    if (replayed.phase !== 'bisecting' || replayed.commands[0]?.type !== 'test') throw new Error('no first step');
    return { id, job: { kind: 'build', bisectionId: id, ...runFields(runRef(replayed.commands[0])) } };
  };

  it('queues the run\'s build again, which publishes the kernel anew, and the next lab job boots it and records the verdict', async () => {
    const { id, job } = await firstBuild();
    const lab = await runBuild(job);
    expect(lab.kernel.artifact).toBe(KEY);
    await loseIt();
    expect(await runLabTestJob(lab, await labDeps())).toBe('rebuilding');
    const progress = (await events(id)).flatMap((e) => (e.type === 'step-progress' && e.phase === 'lab' ? [e.message] : []));
    expect(progress).toEqual([`kernel ${KEY.slice(0, 12)} is no longer in the artifact store: building it again (1 of ${MAX_REBUILDS})`]);
    expect((await events(id)).some((e) => e.type === 'verdict')).toBe(false);
    // On the real build queue, under an id of its own (the run's first build finished under the plain one).
    const queued = await buildQueue.getJob(jobIds.build({ ...job, rebuild: 1 }));
    expect(queued?.data).toEqual({ ...job, rebuild: 1 });
    expect(Value.Check(BuildJobSchema, queued?.data)).toBe(true);
    expect(jobIds.build({ ...job, rebuild: 1 })).not.toBe(jobIds.build(job));
    expect(queued?.opts).toMatchObject({ attempts: 3, priority: 50 });

    const again = await runBuild(queued!.data as BuildJob);
    expect(again).toMatchObject({ rebuild: 1, kernel: { artifact: KEY } });
    expect(jobIds.test(again)).not.toBe(jobIds.test(lab));
    expect(await new StoreClient(t.url, LAB_TOKEN).has(KEY)).toBe(true);
    expect(await runLabTestJob(again, await labDeps())).toBe('recorded');
    expect(bootedModules).toEqual(['modules of the step']);
    expect((await events(id)).filter((e) => e.type === 'verdict')).toEqual([expect.objectContaining({ commit: job.commit, verdict: 'good', machine: 'vm1' })]);
  });

  it(`stops rebuilding after ${MAX_REBUILDS} times: the kernel lost once more fails the job as the machinery's problem (retried, then the step fails)`, async () => {
    const { job } = await firstBuild();
    const lab = await runBuild({ ...job, rebuild: MAX_REBUILDS });
    await loseIt();
    await expect(runLabTestJob(lab, await labDeps())).rejects.toBeInstanceOf(ArtifactMissingError);
    expect(await buildQueue.getJobCounts()).toMatchObject({ waiting: 0, prioritized: 0 });
    expect(bootedModules).toEqual([]);
  });
});
