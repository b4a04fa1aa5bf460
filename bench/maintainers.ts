/**
 * bench/maintainers — the report mail's maintainer lookup on the demo
 * fixture's culprit, two ways in the same run: lookUpMaintainers (a
 * --no-checkout worktree with every directory and the files
 * get_maintainer.pl reads) against a full checkout of the commit.
 * Input: the demo fixture (reproducers/scripts/make-vfio-demo-fixture.sh).
 * Output: seconds for each and whether their recipients are equal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { unconfinedSandbox } from '@kbisect/sandbox';
import { lookUpMaintainers } from '../apps/worker/src/maintainers.js';

const fixture = join(homedir(), '.cache/kbisect/fixtures/linux-6.1-vfio-demo');
const scratch = await mkdtemp(join(tmpdir(), 'kbisect-bench-maint-'));
try {
  const repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(scratch, 'cache') });
  const culprit = await repo.resolveCommit('demo-culprit', 'culprit');
  let t = performance.now();
  const sparse = await lookUpMaintainers(repo, [culprit], { scratchDir: scratch, sandbox: unconfinedSandbox() });
  const sparseS = (performance.now() - t) / 1000;
  t = performance.now();
  const wt = await repo.addWorktree(culprit, join(scratch, 'full'));
  const run = await execa('perl', ['scripts/get_maintainer.pl', '--no-rolestats'], { cwd: wt.dir, input: await repo.formatPatch(culprit) });
  await wt.remove();
  const fullS = (performance.now() - t) / 1000;
  const full = run.stdout.split('\n').filter((l) => l.trim() !== '');
  console.log(JSON.stringify({ loadavg: loadavg()[0]!.toFixed(1), directoriesOnlySeconds: sparseS.toFixed(1), fullCheckoutSeconds: fullS.toFixed(1), sameRecipients: JSON.stringify(full) === JSON.stringify(sparse.addresses), recipients: full }));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
