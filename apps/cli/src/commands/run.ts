import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toBisectLog } from '@kbisect/bisect';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { symbolNames } from '@kbisect/kbuild';
import { cacheDirFrom } from '../cache-dir.js';
import { commandProbe } from '../command-probe.js';
import { untestableFlag } from '../untestable-flag.js';
import { untestableWiring } from '../untestable-wiring.js';
import { POLICY_OPTIONS, POLICY_USAGE, policyOptionsFrom } from '../policy-flags.js';
import { RANGE_OPTIONS, rangeEnds } from '../range-options.js';
import { parallelFrom } from '../parallel-flag.js';
import { parseOptions, requireOption } from '../parse-options.js';
import { formatOutcome } from '../format-outcome.js';
import { importBisectLog } from '../imported-log.js';
import { runBisection } from '../run-bisection.js';
import { terminalReporter } from '../terminal-reporter.js';
import { UsageError } from '../usage-error.js';

export const RUN_USAGE = `usage: kbisect run --repo <path|url> --good <ref> [--good <ref>…] --bad <ref> --test-cmd '<shell command>'
                  [--first-parent] [--json] [--import-log FILE] [--write-log FILE] [--cache-dir DIR]
                  [--policy deterministic|repeat|bayes] [--confidence P] [--max-runs N] [--detection P]
                  [--false-positive P] [--bad-after K] [--good-after N] [--verify] [--verify-revert] [--fix]
                  [--check-endpoints] [--parallel K]
                  [--require-config CONFIG_X …] [--untestable skip|force|narrow]
${POLICY_USAGE}

Bisects locally with the command probe (git bisect run's protocol: exit 0 good,
125 skip, 1-127 bad, anything else aborts; a 126/127 on the first test is
re-run at a good commit, and the same code there aborts: the command cannot
run). One worktree of a mirror kept under
the cache dir is moved from commit to commit (only changed files are written) and
cleaned between steps (untracked, ignored and changed files go); your repository
is not touched.
A flaky test wants --policy bayes (or repeat); --verify re-tests the culprit and
its parent, --verify-revert also tests the bad end with the culprit reverted.
--fix finds the first commit that FIXES the bug: --bad is a commit with the bug,
--good a later one without it. --require-config CONFIG_X steps around commits
where the Kconfig files show X cannot be enabled (e.g. it depends on BROKEN),
read from git without a checkout or a build; --untestable force instead drops
the BROKEN dependency in each worktree and tests anyway (reasons say 'forced');
--untestable narrow steps around them first (git's honest answer) and, when
that answer is "could be any of" because of them, bisects among those
candidates only with BROKEN dropped, printing the forced culprit beside it.
--parallel K runs up to K test commands at once, each in its own worktree,
at points that cut the candidates into K+1 near-equal parts (git's weights);
a test made moot by another's verdict is stopped. The culprit is git's; with
skipped commits the "could be any of" set may differ from git's single path
(it still holds the culprit). With --policy bayes the K runs are the batch
expected to teach the most together (the same commit may run several times
at once); with --policy repeat a few commits get several runs each.
--import-log FILE continues a git bisect log on the log's own start (its good and
bad ends, --first-parent): --good/--bad may then be omitted, and flags that
contradict the log are refused.`;

const OPTIONS = {
  ...RANGE_OPTIONS,
  json: { type: 'boolean' },
  'import-log': { type: 'string' },
  'write-log': { type: 'string' },
  'cache-dir': { type: 'string' },
  'require-config': { type: 'string', multiple: true },
  untestable: { type: 'string' },
  ...POLICY_OPTIONS,
  verify: { type: 'boolean' },
  'verify-revert': { type: 'boolean' },
  'check-endpoints': { type: 'boolean' },
  parallel: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runCommand(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseOptions('run', argv, OPTIONS);
  if (values.help) {
    io.out(RUN_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`kbisect run: unexpected argument '${positionals[0]}'`);
  const source = validateRepoSource(requireOption('run', 'repo', values.repo), '--repo');
  const importPath = values['import-log'];
  // With --import-log the log's start may supply the ends.
  const { good: goodRefs, bad: badRef } = rangeEnds('run', values);
  const testCmd = requireOption('run', 'test-cmd', values['test-cmd']);
  const policy = policyOptionsFrom('run', values);
  const required = values['require-config'] ?? [];
  const untestableMode = untestableFlag('run', values.untestable) ?? 'skip';
  if (untestableMode !== 'skip' && required.length === 0) throw new UsageError(`kbisect run: --untestable ${untestableMode} needs --require-config`);
  try {
    symbolNames(required);
  } catch (err) {
    throw new UsageError(`kbisect run: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fix = policy.terms === 'fix';
  const parallel = parallelFrom('run', values.parallel);
  const cacheDir = cacheDirFrom(values['cache-dir'], process.env);

  const repo = await openRepo(source, { cacheDir, fetch: true });
  // The engine looks for the first "new" commit: for a fix, new is the fixed (good) end.
  const newEnd = fix ? goodRefs[0] : badRef;
  const oldEnds = fix && badRef !== undefined ? [badRef] : goodRefs;
  const imported = importPath === undefined ? undefined : await importBisectLog(importPath, repo, { ...(newEnd !== undefined ? { bad: newEnd } : {}), goods: oldEnds, ...(values['first-parent'] !== undefined ? { firstParent: values['first-parent'] } : {}), badField: fix ? '--good' : '--bad', goodField: fix ? '--bad' : '--good' });
  const id = randomUUID();
  // One worktree for the whole bisection, named by its id: two runs on one mirror never share it.
  const checkout = repo.openCheckout(join(cacheDir, 'worktrees', id));
  const moreCheckouts = Array.from({ length: parallel - 1 }, (_, i) => repo.openCheckout(join(cacheDir, 'worktrees', `${id}-${i + 1}`)));
  const disposeAll = (): Promise<unknown> => Promise.all([checkout, ...moreCheckouts].map((c) => c.dispose()));
  // Interrupted (Ctrl-C, a kill): the worktree goes before we exit, as it does at the end.
  const onSignal = (signal: NodeJS.Signals): void => {
    void disposeAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  // `on`, not `once`: execa's exit hook re-raises a signal nobody else still listens to.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { result, state } = await runBisection(
      {
        id,
        // The imported range is in engine terms; the driver takes the ends as the user names them.
        ...userEnds(imported?.range ?? { bad: newEnd!, goods: oldEnds }, fix),
        options: {
          ...policy,
          firstParent: imported?.range.firstParent ?? values['first-parent'] ?? false,
          ...(values.verify || values['verify-revert'] ? { verify: true } : {}),
          ...(values['verify-revert'] ? { verifyRevert: true } : {}),
          ...(values['check-endpoints'] ? { checkEndpoints: true } : {}),
          ...(parallel > 1 ? { maxParallel: parallel } : {}),
        },
        ...untestableWiring(repo, untestableMode, required),
        imported: imported?.marks ?? [],
      },
      {
        git: repo,
        checkout,
        ...(moreCheckouts.length > 0 ? { moreCheckouts } : {}),
        probe: commandProbe({ command: testCmd, output: values.json ? 'stderr' : 'inherit' }),
        reporter: terminalReporter(io.err),
      },
    );
    if (values['write-log']) await writeFile(values['write-log'], toBisectLog(state));
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else io.out(await formatOutcome(result, repo, fix ? 'fix' : 'regression'));
    return result.status === 'failed' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await disposeAll();
  }
}

/** Engine ends (the "new" one first) back in the user's terms: for a fix, the new end is the later commit given as --good. */
function userEnds(ends: { readonly bad: string; readonly goods: readonly string[] }, fix: boolean): { badRef: string; goodRefs: readonly string[] } {
  return fix ? { badRef: ends.goods[0]!, goodRefs: [ends.bad] } : { badRef: ends.bad, goodRefs: ends.goods };
}
