// The build job's choice of how to build each run under untestable 'narrow' (and skip/force),
// with the kernel build and the repository replaced; the store is a real Redis namespace.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSha, graphOf } from '@kbisect/bisect/testing';
import { ArtifactCache, type BuildRequest } from '@kbisect/kbuild';
import { BisectionStore, connectRedis, type KernelProbe, type LogEvent } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { buildModeOf, runBuildJob } from './build-step-job.js';
import type { OpenRepo, WorkerRepo } from './repo-port.js';
import { unavailableSandbox } from '@kbisect/sandbox';
import { UNSIGNED_KERNEL_PROBES } from './unsigned-trust.test-support.js';

const ns = uniqueNamespace('build-job-narrow');
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbisect-build-job-'));
  await writeFile(join(work, 'build.log'), 'make: *** [bzImage] Error 2\n');
});
afterAll(async () => {
  redis.disconnect();
  await dropNamespace(ns);
  await rm(work, { recursive: true, force: true });
});

const history = { parents: Array.from({ length: 8 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 7 };

async function bisection(untestable: KernelProbe['untestable'] | undefined): Promise<string> {
  const { graph, good, bad } = graphOf(history);
  const probe: KernelProbe = {
    type: 'kernel', configFragments: ['qemu-x86_64'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'virtual', reproducer: { name: 'boot' },
    ...(untestable ? { untestable } : {}),
  };
  const id = await store.create({ repo: '/srv/linux', good: [good], bad, probe }, 'tester', new Date());
  await store.saveGraph(id, graph);
  await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  return id;
}

/** Runs the job for one (commit, purpose) with a build that records its request and fails the build. */
async function buildOnce(id: string, purpose: 'bisect' | 'narrow'): Promise<{ request: BuildRequest; verdict: Extract<LogEvent, { type: 'verdict' }> | undefined }> {
  let seen: BuildRequest | undefined;
  const openRepo: OpenRepo = async () => ({}) as WorkerRepo;
  const commit = fakeSha(4);
  const outcome = await runBuildJob({ kind: 'build', bisectionId: id, commit, ...(purpose !== 'bisect' ? { purpose } : {}) }, {
    store, trust: UNSIGNED_KERNEL_PROBES, openRepo, cache: new ArtifactCache(join(work, 'cache'), 1e9), workDir: join(work, 'slot'), jobs: 1, ccacheDir: join(work, 'ccache'), sandbox: unavailableSandbox('the fake build replaces it'),
    enqueueTest: async () => undefined, now: () => new Date(), attempt: 1,
    build: async (_tree, _cache, _dir, req) => {
      seen = req;
      return { kind: 'skip', reason: 'make bzImage failed', log: join(work, 'build.log') };
    },
  });
  expect(outcome).toBe('recorded');
  const verdict = (await store.log.read(id)).map((e) => e.event).find((e): e is Extract<LogEvent, { type: 'verdict' }> => e.type === 'verdict' && e.commit === commit && (e.purpose ?? 'bisect') === purpose);
  return { request: seen!, verdict };
}

describe("build job under untestable 'narrow'", () => {
  it('builds a narrow run forced and records its failure as a narrow skip; a bisect run honestly', async () => {
    const id = await bisection('narrow');
    const honest = await buildOnce(id, 'bisect');
    expect(honest.request).toMatchObject({ commit: fakeSha(4), required: ['CONFIG_TRANSPARENT_HUGEPAGE'], untestable: 'skip' });
    const forced = await buildOnce(await bisection('narrow'), 'narrow');
    expect(forced.request).toMatchObject({ commit: fakeSha(4), untestable: 'force' });
    expect(forced.verdict).toMatchObject({ verdict: 'skip', purpose: 'narrow', reason: 'build: make bzImage failed', buildEvidence: `build-${fakeSha(4)}-narrow-0` });
  });

  it("builds every run forced under 'force', and honestly under 'skip' or a request stored before modes existed", async () => {
    expect((await buildOnce(await bisection('force'), 'bisect')).request.untestable).toBe('force');
    expect((await buildOnce(await bisection('skip'), 'bisect')).request.untestable).toBe('skip');
    expect((await buildOnce(await bisection(undefined), 'bisect')).request.untestable).toBe('skip');
  });

  it('buildModeOf: the table', () => {
    expect(buildModeOf('narrow', 'narrow')).toBe('force');
    expect(buildModeOf('narrow', 'bisect')).toBe('skip');
    expect(buildModeOf('narrow', 'verify-culprit')).toBe('skip');
    expect(buildModeOf('force', 'check-bad')).toBe('force');
    expect(buildModeOf('skip', 'bisect')).toBe('skip');
  });
});
