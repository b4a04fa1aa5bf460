import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { cacheDirFrom } from '../cache-dir.js';
import { commandProbe } from '../command-probe.js';
import { createDemoRepository } from '../demo-repository.js';
import { formatOutcome } from '../format-outcome.js';
import { parseOptions } from '../parse-options.js';
import { runBisection } from '../run-bisection.js';
import { stateDirFrom } from '../state-dir.js';
import { terminalReporter } from '../terminal-reporter.js';
import { untestableWiring } from '../untestable-wiring.js';
import { kernelDemo } from './kernel-demo.js';

const THP = 'CONFIG_TRANSPARENT_HUGEPAGE';

/**
 * `kbisect demo` runs the real-kernel demonstration (kernel-demo.ts);
 * `kbisect demo --quick`: the 2016 THP case in miniature, end to end through the same
 * code as `kbisect run` — real git, a mirror, one worktree moved commit to commit — and then
 * `git bisect run` on the same history, to show both reach the same answer;
 * then with the Kconfig probe, and with `--untestable narrow`, which adds the
 * forced culprit beside the honest stretch in the same bisection.
 */
export async function demoCommand(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void; isTty: boolean }): Promise<number> {
  const { values } = parseOptions('demo', argv, { 'cache-dir': { type: 'string' }, 'state-dir': { type: 'string' }, quick: { type: 'boolean' } } as const);
  const cacheDir = cacheDirFrom(values['cache-dir'], process.env);
  if (!values.quick) return kernelDemo(io, { cacheDir, stateDir: stateDirFrom(values['state-dir'], process.env) });
  const demo = await createDemoRepository(join(cacheDir, 'demo', 'linux-thp-2016'));
  io.out(`kbisect demo: a history like v4.4..v4.6-rc5, where THP "depends on BROKEN" for a stretch and the regression lands inside it`);
  io.out(`  repository: ${demo.dir}`);
  io.out(`  test:       ${demo.testCommand}   (125 when THP cannot be built, 1 when pinned pages move)\n`);
  const repo = await openRepo(validateRepoSource(demo.dir, '--repo'), { cacheDir, fetch: true });
  const id = randomUUID();
  const probedId = randomUUID();
  const checkout = repo.openCheckout(join(cacheDir, 'worktrees', id));
  const probedCheckout = repo.openCheckout(join(cacheDir, 'worktrees', probedId));
  const narrowId = randomUUID();
  const narrowCheckout = repo.openCheckout(join(cacheDir, 'worktrees', narrowId));
  try {
    const { result } = await runBisection(
      { id, goodRefs: [demo.good], badRef: demo.bad },
      { git: repo, checkout, probe: commandProbe({ command: demo.testCommand, output: 'stderr' }), reporter: terminalReporter(io.err) },
    );
    io.out('kbisect says:');
    io.out(await formatOutcome(result, repo));

    await execa('git', ['-C', demo.dir, 'bisect', 'start', demo.bad, demo.good]);
    const git = await execa('git', ['-C', demo.dir, 'bisect', 'run', 'sh', 'kbisect-demo-test.sh'], { reject: false });
    await execa('git', ['-C', demo.dir, 'bisect', 'reset']);
    const gitSet = /could be any of:\n((?:[0-9a-f]{40}\n)+)/.exec(git.stdout)?.[1]?.trim().split('\n') ?? [];
    const gitFound = /^([0-9a-f]{40}) is the first bad commit/m.exec(git.stdout)?.[1];
    const same = result.status === 'ambiguous'
      ? [...(result.candidates ?? [])].sort().join() === [...gitSet].sort().join()
      : result.culprit === gitFound;
    io.out(`\ngit bisect run on the same history ${same ? 'reaches the same answer' : 'DISAGREES'}.`);
    // Again, now letting the cheap Kconfig probe mark the BROKEN stretch up front.
    io.out('\nAgain with --require-config CONFIG_TRANSPARENT_HUGEPAGE (Kconfig read from git, no checkout, no build):');
    const probed = await runBisection(
      {
        id: probedId, goodRefs: [demo.good], badRef: demo.bad,
        ...untestableWiring(repo, 'skip', [THP]),
      },
      { git: repo, checkout: probedCheckout, probe: commandProbe({ command: demo.testCommand, output: 'stderr' }), reporter: terminalReporter(io.err) },
    );
    io.out(await formatOutcome(probed.result, repo));
    const sameSet = [...(probed.result.candidates ?? [])].sort().join() === [...(result.candidates ?? [])].sort().join();
    io.out(`Same answer: ${sameSet ? 'yes' : 'NO'}; tests run: ${probed.result.steps} instead of ${result.steps}.`);
    const blamed = result.culprit === demo.reenable || probed.result.culprit === demo.reenable;
    io.out(`The true culprit ${demo.culprit.slice(0, 12)} is ${result.candidates?.includes(demo.culprit) || result.culprit === demo.culprit ? 'in the answer' : 'NOT in the answer'}; "mm: re-enable THP" is ${blamed ? 'WRONGLY blamed alone' : 'not blamed alone'}.`);

    // Once more, in one bisection: the honest answer first, then the stretch narrowed with BROKEN dropped.
    io.out('\nAgain with --untestable narrow (the honest answer, then only its candidates built with BROKEN dropped):');
    const narrowed = await runBisection(
      {
        id: narrowId, goodRefs: [demo.good], badRef: demo.bad,
        ...untestableWiring(repo, 'narrow', [THP]),
      },
      { git: repo, checkout: narrowCheckout, probe: commandProbe({ command: demo.testCommand, output: 'stderr' }), reporter: terminalReporter(io.err) },
    );
    io.out(await formatOutcome(narrowed.result, repo));
    const n = narrowed.result;
    const honestSame = [...(n.candidates ?? [])].sort().join() === [...(probed.result.candidates ?? [])].sort().join();
    const forcedRuns = n.verdicts.filter((v) => v.purpose === 'narrow').map((v) => v.commit);
    const onlyStretch = forcedRuns.length > 0 && forcedRuns.every((c) => c !== demo.reenable && (n.candidates ?? []).includes(c));
    const named = n.narrowed?.culprit === demo.culprit;
    io.out(`Honest answer unchanged: ${honestSame ? 'yes' : 'NO'}; forced culprit ${named ? 'is the injected one' : 'is NOT the injected one'} (${demo.culprit.slice(0, 12)}); ` +
      `forced tests: ${forcedRuns.length}, ${onlyStretch ? "all within the honest candidates' stretch" : 'NOT only the stretch'}.`);
    return same && sameSet && !blamed && honestSame && named && onlyStretch ? 0 : 1;
  } finally {
    await checkout.dispose();
    await probedCheckout.dispose();
    await narrowCheckout.dispose();
  }
}
