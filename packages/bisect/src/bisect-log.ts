import { isAncestorInRange } from './ancestry.js';
import { decidedVerdicts, engineVerdict } from './decided-verdicts.js';
import { indexGraph } from './graph-index.js';
import { isBisectRun } from './run-ref.js';
import type { BisectState, Verdict } from './state.js';

/**
 * The history as a `git bisect log`: `git bisect replay` on it reproduces the
 * same good/bad/skip marks (and so the same answer) in any clone.
 */
export function toBisectLog(state: BisectState): string {
  const index = indexGraph(state.graph);
  const subject = (sha: string): string => {
    const i = index.indexOf.get(sha);
    const s = i === undefined ? undefined : state.graph.subjects?.[i];
    return s === undefined ? `[${sha}]` : `[${sha}] ${s}`;
  };
  const fix = state.terms === 'fix';
  // For a fix, git's own old/new terms name the marks; engine "bad" is new.
  const term = (engine: Verdict): string => (engine === 'skip' ? 'skip' : fix ? (engine === 'bad' ? 'fixed' : 'broken') : engine);
  const start = ['git bisect start', ...(state.firstParent ? ["'--first-parent'"] : []), ...(fix ? ["'--term-old=broken'", "'--term-new=fixed'"] : [])];
  const marks = marksOf(state);
  // The range's ends go on the start line, as git writes them: git checks once, at start, that every good
  // is an ancestor of the bad; marked one by one, replay checks against the final bad instead and stops at
  // "a merge base must be tested" whenever a good was on a side branch the bad moved off.
  const ends = endsOf(marks);
  const lines = [[...start, ...ends.map((m) => `'${m.commit}'`)].join(' ')];
  const replay = gitReplay(index);
  for (const end of ends) {
    replay.moves(end);
    lines.push(`# ${term(end.verdict)}: ${subject(end.commit)}`);
  }
  for (const mark of marks.slice(ends.length)) {
    if (mark.comment) lines.push(`# ${mark.comment}`);
    const said = `${term(mark.verdict)}: ${subject(mark.commit)}${mark.reason ? ` (${oneLine(mark.reason)})` : ''}`;
    if (!replay.moves(mark)) {
      lines.push(`# moot ${said}: landed after a tighter verdict; not a mark`);
      continue;
    }
    lines.push(`# ${said}`);
    lines.push(`git bisect ${term(mark.verdict)} ${mark.commit}`);
  }
  if (state.status === 'found' && state.culprit) lines.push(`# first bad commit: ${subject(state.culprit)}`);
  if (state.status === 'ambiguous' && state.candidates) {
    lines.push('# only skipped commits left to test');
    for (const c of state.candidates) lines.push(`# possible first bad commit: ${subject(c)}`);
  }
  lines.push(...narrowingComments(state, subject));
  return `${lines.join('\n')}\n`;
}

interface Mark { commit: string; verdict: Verdict; reason?: string; comment?: string; end?: true }

/** The leading marks git can take on its start line: the range's ends, one bad then the goods; none otherwise. */
function endsOf(marks: readonly Mark[]): Mark[] {
  const ends: Mark[] = [];
  for (const m of marks) {
    if (!m.end) break;
    ends.push(m);
  }
  const shaped = ends.length >= 2 && ends[0]!.verdict === 'bad' && ends.slice(1).every((m) => m.verdict === 'good');
  return shaped ? ends : [];
}

/**
 * Git keeps one bad mark: a later `git bisect bad` replaces it. With several
 * tests at once, a run made moot can land after a tighter verdict — a bad on
 * a descendant of the bad — and the engine records it without moving; as a
 * mark it would loosen git's bad again in replay (git would ask for the
 * culprit once more instead of naming it). `moves` says whether a mark (in
 * order) is one git should replay, following git's bad as marks are taken.
 * Goods always replay: git keeps them all, and one that is not an ancestor
 * of the bad still says its ancestors are good.
 */
function gitReplay(index: ReturnType<typeof indexGraph>): { moves(mark: Mark): boolean } {
  let bad: number | undefined;
  return {
    moves(mark) {
      if (mark.verdict !== 'bad') return true;
      const at = index.indexOf.get(mark.commit);
      if (at === undefined) return true;
      if (bad !== undefined && !isAncestorInRange(index, at, bad)) return false;
      bad = at;
      return true;
    },
  };
}

/**
 * One mark per commit, as git wants it. Deterministic and repeat policies mark
 * what was decided. A Bayesian run can only be summarised: commits are marked
 * by whether they contain the answer, each with its tally of runs, so replay
 * lands on the same culprit.
 */
function marksOf(state: BisectState): Mark[] {
  if (state.policy?.kind !== 'bayes') {
    return decidedVerdicts(state).map((r) => ({ commit: r.commit, verdict: r.verdict, ...(r.reason !== undefined ? { reason: r.reason } : {}), ...(r.source === 'start' ? { end: true as const } : {}) }));
  }
  const index = indexGraph(state.graph);
  const culprit = state.culprit !== undefined ? index.indexOf.get(state.culprit) : undefined;
  const tallies = new Map<string, { shown: number; runs: number; skip: boolean }>();
  for (const r of state.history) {
    if (r.source === 'start' || !isBisectRun(r)) continue;
    const t = tallies.get(r.commit) ?? { shown: 0, runs: 0, skip: false };
    if (r.verdict === 'skip') t.skip = true;
    else {
      t.runs++;
      if (r.verdict === 'bad') t.shown++;
    }
    tallies.set(r.commit, t);
  }
  const marks: Mark[] = state.history.filter((r) => r.source === 'start').map((r) => ({ commit: r.commit, verdict: r.verdict, end: true as const }));
  for (const [commit, t] of tallies) {
    const c = index.indexOf.get(commit);
    const comment = `runs: ${t.runs}, bug shown in ${t.shown}`;
    if (t.skip) marks.push({ commit, verdict: 'skip', comment });
    else if (culprit !== undefined && c !== undefined) marks.push({ commit, verdict: isAncestorInRange(index, culprit, c) ? 'bad' : 'good', comment });
    else if (t.shown > 0) marks.push({ commit, verdict: engineVerdict('bad', state.terms), comment });
  }
  return marks;
}

// Forced runs are not git's evidence (the tree was changed to build them), so
// they stay comments: replay lands on the honest answer, the reader sees both.
function narrowingComments(state: BisectState, subject: (sha: string) => string): string[] {
  const runs = state.history.filter((r) => r.purpose === 'narrow');
  if (runs.length === 0 && state.narrowed === undefined) return [];
  const forced = state.narrow?.forced.join(', ') ?? '';
  const lines = [`# narrowing the untestable commits, forced (${forced} without BROKEN); not marks:`];
  for (const r of runs) lines.push(`# forced ${r.verdict}: ${subject(r.commit)}${r.reason ? ` (${oneLine(r.reason)})` : ''}`);
  const n = state.narrowed;
  if (n?.culprit) lines.push(`# forced first bad commit: ${subject(n.culprit)}`);
  for (const c of n?.candidates ?? []) lines.push(`# forced possible first bad commit: ${subject(c)}`);
  return lines;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

export interface ParsedBisectLog {
  readonly firstParent: boolean;
  /** Revisions named on the `git bisect start` line: bad first, then goods (may be symbolic). */
  readonly startBad?: string;
  readonly startGoods: readonly string[];
  /** The start line's revisions as git resolved them: the `# bad: [sha]` / `# good: [sha]` comments git writes before it. */
  readonly startShas?: { readonly bad?: string; readonly goods: readonly string[] };
  /** good/bad/skip marks in order; revisions as written (git writes full shas). */
  readonly marks: readonly { readonly verdict: Verdict; readonly rev: string; readonly line: number }[];
}

/**
 * The range's ends a log starts from, as revisions: git's resolved shas (its
 * `# bad: [sha]` comments) where it wrote them, else the start line's
 * revisions as typed. What the log leaves out is absent (a log begun with a
 * bare `git bisect start` names its ends only as marks).
 */
export function logStartEnds(log: ParsedBisectLog): { readonly bad?: string; readonly goods: readonly string[] } {
  const bad = log.startShas?.bad ?? log.startBad;
  const goods = log.startShas && log.startShas.goods.length > 0 ? log.startShas.goods : log.startGoods;
  return { ...(bad !== undefined ? { bad } : {}), goods };
}

export type ParseLogOutcome = { readonly ok: true; readonly log: ParsedBisectLog } | { readonly ok: false; readonly line: number; readonly message: string };

const REV_RE = /^[A-Za-z0-9_][A-Za-z0-9_./~^@{}+-]*$/;

/**
 * Reads a `git bisect log` (as written by git or by kbisect). Only what replay
 * needs is taken; anything else is an error naming the line, because a log
 * silently half-applied would bisect the wrong range.
 */
export function parseBisectLog(text: string): ParseLogOutcome {
  let firstParent = false;
  let startBad: string | undefined;
  const startGoods: string[] = [];
  const marks: { verdict: Verdict; rev: string; line: number }[] = [];
  let started = false;
  let terms: { bad: string; good: string } = { bad: 'bad', good: 'good' };
  const startComments: { term: string; sha: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const line = lines[n]!.trim();
    const comment = started ? null : /^#\s*([A-Za-z0-9_-]+):\s*\[([0-9a-f]{40})\]/.exec(line);
    if (comment) startComments.push({ term: comment[1]!, sha: comment[2]! });
    if (line === '' || line.startsWith('#')) continue;
    const words = splitShellWords(line);
    if (words === undefined) return { ok: false, line: lineNo, message: `line ${lineNo}: unbalanced quotes` };
    if (words[0] !== 'git' || words[1] !== 'bisect') return { ok: false, line: lineNo, message: `line ${lineNo}: not a 'git bisect' command` };
    const verb = words[2];
    const args = words.slice(3);
    if (verb === 'start') {
      if (started) return { ok: false, line: lineNo, message: `line ${lineNo}: a second 'git bisect start'` };
      started = true;
      const revs: string[] = [];
      for (let k = 0; k < args.length; k++) {
        const a = args[k]!;
        if (a === '--') break;
        if (a === '--first-parent') firstParent = true;
        else if (a === '--no-checkout') continue;
        else if (a.startsWith('--term-bad=') || a.startsWith('--term-new=')) terms = { ...terms, bad: a.slice(a.indexOf('=') + 1) };
        else if (a.startsWith('--term-good=') || a.startsWith('--term-old=')) terms = { ...terms, good: a.slice(a.indexOf('=') + 1) };
        else if (a.startsWith('-')) return { ok: false, line: lineNo, message: `line ${lineNo}: unsupported option '${a}'` };
        else if (!REV_RE.test(a)) return { ok: false, line: lineNo, message: `line ${lineNo}: '${a}' is not a revision` };
        else revs.push(a);
      }
      [startBad] = revs;
      startGoods.push(...revs.slice(1));
      continue;
    }
    if (!started) return { ok: false, line: lineNo, message: `line ${lineNo}: '${verb ?? ''}' before 'git bisect start'` };
    const verdict = toVerdict(verb, terms);
    if (verdict === undefined) return { ok: false, line: lineNo, message: `line ${lineNo}: unsupported 'git bisect ${verb ?? ''}'` };
    if (args.length === 0) return { ok: false, line: lineNo, message: `line ${lineNo}: 'git bisect ${verb}' without a revision` };
    for (const rev of args) {
      if (!REV_RE.test(rev) || rev.includes('..')) return { ok: false, line: lineNo, message: `line ${lineNo}: '${rev}' is not a single revision` };
      marks.push({ verdict, rev, line: lineNo });
    }
  }
  if (!started) return { ok: false, line: 0, message: "no 'git bisect start' line" };
  const resolvedBad = startComments.find((c) => toVerdict(c.term, terms) === 'bad')?.sha;
  const resolvedGoods = startComments.filter((c) => toVerdict(c.term, terms) === 'good').map((c) => c.sha);
  const startShas = resolvedBad !== undefined || resolvedGoods.length > 0 ? { startShas: { ...(resolvedBad !== undefined ? { bad: resolvedBad } : {}), goods: resolvedGoods } } : {};
  return { ok: true, log: { firstParent, ...(startBad !== undefined ? { startBad } : {}), startGoods, ...startShas, marks } };
}

function toVerdict(verb: string | undefined, terms: { bad: string; good: string }): Verdict | undefined {
  if (verb === 'skip') return 'skip';
  if (verb === 'bad' || verb === 'new' || verb === terms.bad) return 'bad';
  if (verb === 'good' || verb === 'old' || verb === terms.good) return 'good';
  return undefined;
}

/** Splits a line the way git writes bisect logs: words, with 'single-quoted' ones (git's sq_quote, with '\'' escapes). */
function splitShellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) return undefined;
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (line[i] === '\\' && i + 1 < line.length) {
        word += line[i + 1];
        i += 2;
      } else {
        word += line[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

