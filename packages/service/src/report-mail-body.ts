import type { BisectionView } from './bisection-view.js';
import { requiredSymbolsOf } from './untestable-mode.js';
import type { ReportRecipients } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { judgementLines } from './judgement-lines.js';
import { verificationLines } from './verification-lines.js';
import { mailSafe } from './mail-text.js';

const short = (sha: string): string => sha.slice(0, 12);

/** What the body is made of; the API gathers it from the bisection's log. */
export interface MailBodyInput {
  readonly view: BisectionView;
  readonly request: BisectionRequest | undefined;
  readonly recipients: ReportRecipients | undefined;
  readonly toolchain: string | undefined;
  /** Commits the Kconfig probe ruled out before any build, with the reason (the log's 'initialized' event). */
  readonly untestable: Readonly<Record<string, string>>;
  /** Where the API is reachable from readers of the mail, no trailing slash. */
  readonly baseUrl: string;
  /** The report mail's own sender: the Reported-by: line names it. */
  readonly reporter: string;
  /** The original report's Message-ID (without <>), when replying to it. */
  readonly inReplyTo: string | undefined;
}

/** The URLs a reader can follow: the bisection (JSON), its git bisect log, its plain report, an evidence file. */
export function bisectionLinks(baseUrl: string, id: string): { self: string; log: string; report: string; evidence: (name: string) => string } {
  const self = `${baseUrl}/api/v1/bisections/${id}`;
  return { self, log: `${self}/log`, report: `${self}/report`, evidence: (name) => `${self}/evidence/${encodeURIComponent(name)}` };
}

/**
 * The mail's body before wrapping: the answer first (culprit or "could be
 * any of"), what backs it (verification, confidence, the untestable
 * stretch, the tested commits), how it was tested, links, then the ready
 * tag lines and the regzbot command.
 */
export function mailBodyLines(input: MailBodyInput): string[] {
  const { view, request } = input;
  const fix = view.terms === 'fix';
  const info = new Map((view.commits ?? []).map((c) => [c.sha, c]));
  const links = bisectionLinks(input.baseUrl, view.id);
  const oneLine = (s: string): string => mailSafe(s).replace(/\s+/g, ' ').trim();
  const titled = (sha: string): string => {
    const c = info.get(sha);
    return c ? `${short(sha)} ("${oneLine(c.subject)}")` : short(sha);
  };
  const L: string[] = [];
  const [firstTerm, lastTerm] = fix ? ['broken', 'fixed'] : ['good', 'bad'];
  L.push(`kbisect bisected ${fix ? 'the fix of a problem' : 'a regression'} in ${oneLine(view.repo)}`);
  L.push(`between ${view.good.map(oneLine).join(', ')} (${firstTerm}) and ${oneLine(view.bad)} (${lastTerm}).`);
  L.push('');
  if (view.status === 'found' && view.culprit) {
    const c = info.get(view.culprit);
    L.push(fix ? 'The problem was first fixed by:' : 'The first bad commit is:');
    L.push('');
    L.push(`  commit ${view.culprit}`);
    if (c) {
      L.push(`  Author: ${oneLine(c.authorName)} <${oneLine(c.authorEmail)}>`);
      L.push(`  Date:   ${oneLine(c.authorDate)}`);
      L.push('');
      L.push(`      ${oneLine(c.subject)}`);
    }
  } else if (view.status === 'ambiguous' && view.candidates) {
    const reasons = new Map(view.verdicts.filter((v) => v.verdict === 'skip').map((v) => [v.commit, v.reason]));
    L.push(`Only commits that could not be tested are left; the first ${fix ? 'fixed' : 'bad'} commit could be any of:`);
    L.push('');
    for (const sha of view.candidates) {
      const c = info.get(sha);
      L.push(`  ${short(sha)} ${c ? oneLine(c.subject) : ''}`.trimEnd());
      const why = reasons.get(sha);
      L.push(`      ${why ? `skipped: ${oneLine(why)}` : `the last ${fix ? 'fixed' : 'bad'} commit tested`}`);
    }
  } else {
    L.push(`The bisection ended without an answer: ${view.status}${view.error ? ` (${oneLine(view.error)})` : ''}.`);
  }
  L.push('');
  const said = judgementLines(view, titled, oneLine);
  if (said.length > 0) {
    L.push('Maintainers said (kept beside the result, which is not rewritten):');
    L.push(...said.map((l) => `  ${l}`));
    L.push('');
  }
  if (view.confidence !== undefined) {
    L.push(`Confidence: posterior probability ${view.confidence.toFixed(4)} under the ${view.policy ?? 'bayes'} policy for a flaky reproducer.`);
    L.push('');
  }
  if (view.verification) {
    L.push('Verification after the search:');
    L.push(...verificationLines(view.verification));
    L.push('');
  }
  const untestable = Object.entries(input.untestable);
  if (untestable.length > 0) {
    const why = [...new Set(untestable.map(([, reason]) => oneLine(reason)))];
    L.push(`Untestable stretch: ${untestable.length} commit${untestable.length === 1 ? ' cannot' : 's cannot'} exercise the bug and ${untestable.length === 1 ? 'was' : 'were'} stepped around without building (${untestable.length <= 8 ? untestable.map(([sha]) => short(sha)).join(' ') : `${short(untestable[0]![0])} .. ${short(untestable.at(-1)![0])} and ${untestable.length - 2} between`}), because:`);
    for (const w of why) L.push(`  ${w}`);
    L.push('');
  }
  const tested = view.verdicts.filter((v) => v.source !== 'untestable');
  L.push(`Tested commits (${tested.length}):`);
  for (const v of tested) {
    const what = v.purpose ? ` [${v.purpose}${v.run ? `, run ${v.run + 1}` : ''}]` : '';
    L.push(`  ${short(v.commit)} ${v.verdict.padEnd(4)}${what} ${oneLine(v.reason)}${v.source === 'manual' ? ' (marked by hand)' : ''}`);
  }
  L.push('');
  L.push('How it was tested:');
  if (request?.probe.type === 'kernel') {
    const p = request.probe;
    L.push(`  kernel config fragments: ${p.configFragments.length ? p.configFragments.join(', ') : '(none: tinyconfig)'}`);
    const required = requiredSymbolsOf(request.probe, request.options);
    L.push(`  required symbols: ${required.length ? required.join(' ') : '(none)'}${p.untestable === 'force' ? ' (forced on where a dependency forbids them)' : ''}`);
    L.push(`  compiler: ${input.toolchain ? oneLine(input.toolchain) : '(not recorded)'}`);
    L.push(`  reproducer: ${[p.reproducer.name, ...(p.reproducer.args ?? [])].map(oneLine).join(' ')}${p.reproducer.timeoutSec ? ` (timeout ${p.reproducer.timeoutSec} s)` : ''}`);
    L.push(`  machines: pool ${p.pool}`);
  } else if (request?.probe.type === 'command') {
    L.push(`  command (git bisect run protocol): ${oneLine(request.probe.command)}`);
    const required = requiredSymbolsOf(request.probe, request.options);
    if (required.length) L.push(`  required symbols: ${required.join(' ')}`);
  }
  L.push(`  policy: ${view.policy ?? request?.options?.policy ?? 'deterministic'}`);
  L.push('');
  L.push('Links:');
  L.push(`  bisection: ${links.self}`);
  L.push(`  git bisect log: ${links.log}`);
  const answerShas = new Set(view.culprit ? [view.culprit] : view.candidates ?? []);
  for (const v of view.verdicts) {
    if (!answerShas.has(v.commit) && !(v.purpose ?? '').startsWith('verify')) continue;
    const label = `${short(v.commit)}${v.purpose ? ` ${v.purpose}` : ''}`;
    if (v.evidence) L.push(`  evidence ${label}: ${links.evidence(v.evidence)}`);
    if (v.buildEvidence) L.push(`  build log ${label}: ${links.evidence(v.buildEvidence)}`);
  }
  L.push(`  every verdict's evidence is named in the bisection's JSON`);
  L.push('');
  L.push(...recipientLines(input.recipients));
  L.push('');
  if (!fix && view.status === 'found' && view.culprit) {
    L.push('If you fix the issue, please add these tags to the commit:');
    L.push('');
    L.push(...reportTags(input, links.self));
    L.push(`Fixes: ${titled(view.culprit)}`);
    L.push('');
    L.push(`#regzbot introduced: ${short(view.culprit)}`);
  } else if (!fix && view.status === 'ambiguous' && view.candidates && view.candidates.length > 0) {
    L.push('If you fix the issue, please add these tags to the commit (and a Fixes: line for the one of the commits above that caused it):');
    L.push('');
    L.push(...reportTags(input, links.self));
    L.push('');
    L.push(`#regzbot introduced: ${short(view.candidates[0]!)}..${short(view.candidates.at(-1)!)}`);
  } else if (fix && view.status === 'found' && view.culprit) {
    // A fix bisection answers "what to backport": the fixing commit, for stable.
    L.push(`To backport the fix, cherry-pick ${titled(view.culprit)}.`);
    L.push(...reportTags(input, links.self).filter((l) => !l.startsWith('Reported-by:')));
  }
  return L;
}

function reportTags(input: MailBodyInput, self: string): string[] {
  return [
    `Reported-by: ${input.reporter}`,
    ...(input.inReplyTo ? [`Closes: https://lore.kernel.org/r/${input.inReplyTo}`] : []),
    `Link: ${self}`,
  ];
}

function recipientLines(r: ReportRecipients | undefined): string[] {
  if (!r) return ['Recipients: no maintainer lookup was recorded for this bisection.'];
  if (r.source === 'get_maintainer') return [`Recipients: from the tree's scripts/get_maintainer.pl --no-rolestats on ${r.commits.map(short).join(', ')}.${r.note ? ` ${oneNote(r.note)}` : ''}`];
  if (r.source === 'author-committer') return [`Recipients: ${r.note ? oneNote(r.note) : 'no maintainer list'}; this goes to the author and committer of ${r.commits.map(short).join(', ')}.`];
  return [`Recipients: no maintainers were looked up${r.note ? ` (${oneNote(r.note)})` : ''}.`];
}

const oneNote = (s: string): string => mailSafe(s).replace(/\s+/g, ' ').trim();
