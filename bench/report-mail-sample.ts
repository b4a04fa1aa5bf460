/**
 * report-mail-sample — the README's sample mail, from a real run.
 * Input: the demo fixture (reproducers/scripts/make-vfio-demo-fixture.sh),
 *   Redis at REDIS_URL (else 127.0.0.1:6379; a throwaway namespace).
 * What runs: the service's own orchestrator (apps/worker orchestrate()) and
 *   store on a command-probe request with --require-config
 *   CONFIG_TRANSPARENT_HUGEPAGE and --verify; each test job is answered by
 *   evaluating the request's grep on mm/memory.c at that commit read from git
 *   (a worker would run the same command in a checkout, which costs minutes
 *   per step on a kernel tree). At the end the orchestrator records the
 *   recipients from the tree's get_maintainer.pl, and the API's formatMail
 *   renders the mail.
 * Output: the mbox on stdout.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BisectionStore, connectRedis, formatMail, sealGrant, stepNames, toView, type BuildJob, type CommandTestJob } from '@kbisect/service';
import { gitOpener, orchestrate } from '@kbisect/worker';
import { unconfinedSandbox } from '@kbisect/sandbox';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../test/support/redis-namespace.js';

const fixture = join(homedir(), '.cache/kbisect/fixtures/linux-6.1-vfio-demo');
const REGRESSION = /^[ \t]+ClearPageAnonExclusive\(page\);$/m;
const ns = uniqueNamespace('mail-sample');
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
// The bench signs its request as the API would, so the orchestrator's check passes as in a deployment.
const key = randomBytes(32);
const scratch = await mkdtemp(join(tmpdir(), 'kbisect-mail-sample-'));
try {
  const openRepo = gitOpener(join(scratch, 'cache'));
  const repo = await openRepo(fixture);
  const id = await store.create({
    repo: fixture, good: ['v6.1-base'], bad: 'demo-bad',
    probe: { type: 'command', command: `! grep -qE '^[[:space:]]+ClearPageAnonExclusive\\(page\\);$' mm/memory.c` },
    options: { requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], verify: true, checkEndpoints: true },
  }, 'maintainer', new Date(), { grant: (fields) => sealGrant(key, fields, { role: 'maintain', commandProbe: true, maxRangeCommits: 100_000 }) });
  const jobs: (CommandTestJob | BuildJob)[] = [];
  const deps = { store, openRepo, trust: { allowCommandProbe: true, key }, sandbox: unconfinedSandbox(), now: () => new Date(), enqueueTest: async (job: CommandTestJob) => void jobs.push(job), enqueueBuild: async (job: BuildJob) => void jobs.push(job) };
  for (let pass = 0; pass < 100; pass++) {
    const outcome = await orchestrate(id, deps);
    if (outcome === 'finished' || outcome === 'already-finished' || outcome === 'failed-to-start') break;
    const job = jobs.shift();
    if (!job) continue;
    const bad = REGRESSION.test((await repo.readFileAt(job.commit, 'mm/memory.c')) ?? '');
    const evidence = await store.putEvidence(id, `test-${stepNames.suffix(job)}`, bad ? 'mm/memory.c clears PageAnonExclusive before page_try_dup_anon_rmap\nexit 1\n' : 'exit 0\n');
    await store.log.appendOnce(id, stepNames.verdictToken(job), {
      type: 'verdict', at: new Date().toISOString(), commit: job.commit, verdict: bad ? 'bad' : 'good', reason: bad ? 'exit 1' : 'exit 0', source: 'probe', evidence,
      ...(job.purpose ? { purpose: job.purpose } : {}), ...(job.run ? { run: job.run } : {}),
    });
  }
  const { fold } = await store.load(id);
  process.stdout.write(formatMail(toView(id, fold), fold, { baseUrl: 'https://kbisect.example.org', from: 'kbisect <kbisect@example.org>' }));
} finally {
  redis.disconnect();
  await dropNamespace(ns);
  await rm(scratch, { recursive: true, force: true });
}
