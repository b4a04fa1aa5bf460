import type { BisectionView } from './bisection-view.js';
import { judgementLines } from './judgement-lines.js';
import { verificationLines } from './verification-lines.js';

const short = (sha: string): string => sha.slice(0, 12);
/** The reproducer and lab numbers worth a line in a mailing-list reply; the rest stays in the JSON. */
const REPORTED_METRICS = ['mismatches', 'pages', 'iterations', 'control_moved', 'resultSeconds', 'buildSeconds'];

/**
 * A plain-text report a maintainer can paste into a mailing-list reply:
 * the answer first, then how it was reached. Fixed-width, no markup.
 */
export function formatReport(view: BisectionView): string {
  const info = new Map((view.commits ?? []).map((c) => [c.sha, c]));
  const lines: string[] = [];
  const title = (sha: string): string => {
    const c = info.get(sha);
    return c ? `${short(sha)} ("${c.subject}")` : short(sha);
  };
  lines.push(`kbisect bisection ${view.id}`);
  lines.push(`repository: ${view.repo}`);
  lines.push(`range:      good ${view.good.join(', ')}  bad ${view.bad}`);
  lines.push('');
  if (view.status === 'found' && view.culprit) {
    const c = info.get(view.culprit);
    lines.push(`The ${view.terms === 'fix' ? 'first fixed' : 'first bad'} commit is ${view.culprit}`);
    if (c) {
      lines.push(`  ${c.subject}`);
      lines.push(`  Author: ${c.authorName} <${c.authorEmail}>`);
      lines.push(`  Date:   ${c.authorDate}`);
      // A Fixes: tag names the commit that broke things; a fix bisection found the one that repaired them.
      if (view.terms !== 'fix') lines.push('', `Fixes: ${view.culprit.slice(0, 12)} ("${c.subject}")`);
    }
  } else if (view.status === 'ambiguous' && view.candidates) {
    const reasons = new Map(view.verdicts.filter((v) => v.verdict === 'skip').map((v) => [v.commit, v.reason]));
    lines.push('Only skipped or untestable commits are left; the first bad commit could be any of:');
    for (const c of view.candidates) {
      const why = reasons.get(c);
      lines.push(`  ${title(c)}${why ? ` - ${why}` : ' - the last bad commit tested'}`);
    }
  } else {
    lines.push(`Status: ${view.status}${view.error ? ` (${view.error})` : ''}`);
  }
  lines.push(...annotationLines(view, title));
  lines.push(...narrowedLines(view, title));
  if (view.confidence !== undefined) lines.push(`Posterior probability (${view.policy ?? 'bayes'} policy): ${view.confidence.toFixed(4)}`);
  if (view.verification) {
    lines.push('Verification:');
    lines.push(...verificationLines(view.verification));
  }
  if (view.endpoints) {
    lines.push('Endpoints tested before bisecting:');
    for (const e of view.endpoints) {
      const what = e.outcome === 'untestable' ? `cannot be tested (${e.reason ?? 'skip'})` : `${e.failures > 0 ? 'shows the bug' : 'clean'} in ${e.failures > 0 ? `${e.failures} of ` : ''}${e.runs} run(s)${e.outcome === 'unexpected' ? ' - NOT as expected' : ''}`;
      lines.push(`  ${e.end.padEnd(4)} ${short(e.commit)}  ${what}`);
    }
  }
  lines.push('');
  // The heading keeps its old shape (scripts read the count); how many ran at once is a line of its own.
  lines.push(`Verdicts (${view.steps} commit${view.steps === 1 ? '' : 's'} tested):`);
  if (view.maxParallel && view.maxParallel > 1) lines.push(`  up to ${view.maxParallel} tests at once`);
  if (view.inFlight && view.inFlight.length > 0) lines.push(`  being tested now: ${view.inFlight.map((r) => `${short(r.commit)}${r.run ? ` (run ${r.run + 1})` : ''}${r.sharedFrom ? ` (tested by ${r.sharedFrom})` : r.startedAt ? '' : ' (queued)'}${r.machine ? ` on ${r.machine}` : ''}`).join(', ')}`);
  if (view.reused) lines.push(`  reused from earlier bisections with the same probe: ${view.reused} verdict${view.reused === 1 ? '' : 's'} (not counted as tested)`);
  if (view.cancelled && view.cancelled.length > 0) lines.push(`  cancelled as moot (another verdict decided them): ${view.cancelled.map(short).join(', ')}`);
  for (const v of view.verdicts) {
    // Endpoint checks and verification runs say so; a revert check tested the commit with the culprit reverted.
    const why = v.purpose ? `[${v.purpose === 'verify-revert' && view.culprit ? `verify-revert: ${short(view.culprit)} reverted` : v.purpose === 'narrow' ? 'narrow, forced' : v.purpose}${v.run ? `, run ${v.run + 1}` : ''}] ` : '';
    lines.push(`  ${short(v.commit)}  ${v.verdict.padEnd(4)}  ${v.source.padEnd(10)}  ${why}${v.reason}`);
    const shown = v.metrics ? Object.entries(v.metrics).filter(([k]) => REPORTED_METRICS.includes(k)) : [];
    const facts = [v.reusedFrom ? `reused from ${v.reusedFrom}${v.reusedEvidence ? ` (${v.reusedEvidence.join(', ')})` : ''}` : '', v.machine ? `on ${v.machine}` : '', shown.map(([k, n]) => `${k}=${Number.isInteger(n) ? n : n.toFixed(1)}`).join(' '), [v.evidence, v.buildEvidence].filter(Boolean).join(', ')].filter((s) => s !== '');
    if (facts.length > 0) lines.push(`${' '.repeat(38)}${facts.join('; ')}`);
  }
  lines.push(...roundLines(view));
  lines.push('');
  lines.push(`Reproduce the marks with: kbisect log ${view.id} > bisect.log && git bisect replay bisect.log`);
  return `${lines.join('\n')}\n`;
}

/**
 * The rounds, when there was more than one run at a time or a shared result:
 * what each round handed out, where it ran, what it showed.
 */
function roundLines(view: BisectionView): string[] {
  const rounds = view.rounds ?? [];
  if (!rounds.some((r) => r.runs.length > 1 || r.runs.some((run) => run.via !== 'test' || run.disputed !== undefined))) return [];
  const run = (r: NonNullable<BisectionView['rounds']>[number]['runs'][number]): string => {
    const which = `${short(r.commit)}${r.run ? ` (run ${r.run + 1})` : ''}`;
    const where = r.via === 'reused' ? ` reused from ${r.from ?? '?'}` : r.via === 'shared' ? ` tested by ${r.from ?? '?'}` : r.machine ? ` on ${r.machine}` : '';
    const disputed = r.disputed !== undefined ? ' (cached verdicts disagree: tested here)' : '';
    return `${which}${where}${disputed}${r.verdict ? ` -> ${r.verdict}` : ''}`;
  };
  return ['', 'Rounds (the runs handed out together; k: tests at once the lab allowed):', ...rounds.map((r) => `  round ${r.n} (k=${r.k}): ${r.runs.map(run).join(', ')}`)];
}

/** The forced answer of untestable 'narrow', after the honest one and marked forced: it was built with a dependency dropped. */
function narrowedLines(view: BisectionView, title: (sha: string) => string): string[] {
  const n = view.narrowed;
  if (!n) return [];
  const head = `Narrowed by building those candidates forced (${n.forced.join(', ')} with BROKEN dropped), ${n.steps} forced run${n.steps === 1 ? '' : 's'}:`;
  if (n.culprit) return ['', head, `  first bad commit (forced): ${title(n.culprit)}`];
  return ['', head, '  forced builds left it ambiguous too; the first bad commit (forced) could be any of:', ...(n.candidates ?? []).map((c) => `  ${title(c)}`)];
}

/** Maintainers' judgements (annotations, manual verdicts), right after the answer they judge: who, when, what, why. */
function annotationLines(view: BisectionView, title: (sha: string) => string): string[] {
  const said = judgementLines(view, title);
  return said.length === 0 ? [] : ['', 'Maintainers said:', ...said.map((l) => `  ${l}`)];
}
