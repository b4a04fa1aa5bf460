/**
 * The Kconfig probe's cost on a large generated range, beside the old probe
 * in the same run. Input: commits (≈20,000), a seed. Output: one row per
 * probe: wall time, git calls, blobs read (each parsed once), and commits
 * judged wrong against the truth the generator knows.
 *
 * The history is generateHistory's DAG written with fast-import; mm/Kconfig
 * is edited (new blob, same meaning) on many branches and THP is marked
 * BROKEN for stretches of 5–40 commits on several of them (stretches no
 * branch forks from), re-enabled on the same branch — the 2016 shape, on side
 * branches as well as the mainline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { indexGraph, type CommitGraph } from '@kbisect/bisect';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { openRepo, validateRepoSource, type GitRepo } from '@kbisect/git';
import { judgeSymbols, parseKconfig, probeUntestable, type KconfigSymbol, type RevisionReader } from '@kbisect/kbuild';
import { KCONFIG_BROKEN, KCONFIG_OK } from '../apps/cli/src/demo-repository.js';
import { writeGitHistory } from '../test/support/git-fixture.js';

export interface ProbeCostRow { readonly probe: string; readonly ms: number; readonly gitCalls: number; readonly blobs: number; readonly wrong: number; readonly untestable: number }

const REQUIRED = ['CONFIG_TRANSPARENT_HUGEPAGE'];

export async function probeCost(commits: number, seed: number): Promise<{ rows: ProbeCostRow[]; commits: number; stretches: number; truth: number }> {
  const random = seededRandom(seed);
  const history = generateHistory(random, { commits });
  const n = history.parents.length;
  const firstChild = new Map<number, number>();
  const children = new Array<number>(n).fill(0);
  history.parents.forEach((ps, i) => {
    if (ps[0] !== undefined && !firstChild.has(ps[0])) firstChild.set(ps[0], i);
    for (const p of ps) children[p]!++;
  });
  // Events: benign edits, stretch starts and their re-enables on the same branch.
  const edits = new Set<number>();
  const starts = new Set<number>();
  const ends = new Set<number>();
  for (let k = 0; k < 60; k++) edits.add(1 + Math.floor(random() * (n - 2)));
  let stretches = 0;
  while (stretches < 12) {
    const s = 1 + Math.floor(random() * (n - 50));
    // A stretch no branch forks from (topic branches start at testable points), re-enabled on its own line.
    let e: number | undefined = s;
    let forked = false;
    for (let steps = 5 + Math.floor(random() * 35); e !== undefined && steps > 0; steps--) {
      forked ||= children[e]! > 1;
      e = firstChild.get(e);
    }
    if (forked || e === undefined || e === n - 1 || starts.has(s) || ends.has(s)) continue;
    starts.add(s);
    ends.add(e);
    stretches++;
  }
  const state: { rev: number; broken: boolean }[] = [];
  const text = (st: { rev: number; broken: boolean }): string => `# rev ${st.rev}\n${st.broken ? KCONFIG_BROKEN : KCONFIG_OK}`;
  const touched = new Map<number, string>();
  let rev = 0;
  history.parents.forEach((ps, i) => {
    const parent = ps[0] === undefined ? { rev: 0, broken: false } : state[ps[0]]!;
    let st = parent;
    if (i === 0 || edits.has(i)) st = { rev: ++rev, broken: parent.broken };
    if (starts.has(i)) st = { ...st, broken: true };
    if (ends.has(i)) st = { ...st, broken: false };
    state.push(st);
    if (st !== parent || i === 0) touched.set(i, text(st));
  });
  const fx = await writeGitHistory(history, { touch: (i) => (touched.has(i) ? { 'mm/Kconfig': touched.get(i)! } : undefined) });
  const cache = await mkdtemp(join(tmpdir(), 'kbisect-probe-bench-'));
  try {
    const repo = await openRepo(validateRepoSource(fx.dir), { cacheDir: cache });
    const bad = fx.shas[history.tip]!;
    const goods = [fx.shas[0]!];
    const graph = await repo.readGraph(bad, goods);
    const truth = new Set(fx.shas.filter((_, i) => state[i]!.broken));
    const rows: ProbeCostRow[] = [];
    for (const probe of ['old: git log -- mm/Kconfig, inherit', 'new: blob ids per commit'] as const) {
      const counter = { calls: 0, blobs: 0 };
      const t0 = performance.now();
      const untestable = probe.startsWith('old') ? await oldProbe(repo, counter, graph, bad, goods) : await probeUntestable(counting(repo, counter), { graph, bad, goods, required: REQUIRED });
      const ms = performance.now() - t0;
      const marked = new Set(Object.keys(untestable));
      const wrong = graph.commits.filter((c) => marked.has(c) !== truth.has(c)).length;
      rows.push({ probe, ms, gitCalls: counter.calls, blobs: counter.blobs, wrong, untestable: marked.size });
    }
    return { rows, commits: graph.commits.length, stretches, truth: graph.commits.filter((c) => truth.has(c)).length };
  } finally {
    await fx.cleanup();
    await rm(cache, { recursive: true, force: true });
  }
}

function counting(repo: GitRepo, counter: { calls: number; blobs: number }): RevisionReader {
  return {
    findSymbolFiles: (sha, names) => (counter.calls++, repo.findSymbolFiles(sha, names)),
    blobIdsAt: (commits, paths) => (counter.calls++, repo.blobIdsAt(commits, paths)),
    readBlobs: (ids) => ((counter.calls++, (counter.blobs += ids.length)), repo.readBlobs(ids)),
  };
}

/**
 * The probe before issue 14, kept here only as the baseline: `git rev-list
 * -- files` for the commits that touch the files (history simplification
 * included), files read at those commits, every other commit inheriting its
 * parent's answer.
 */
async function oldProbe(repo: GitRepo, counter: { calls: number; blobs: number }, graph: CommitGraph, bad: string, goods: readonly string[]): Promise<Record<string, string>> {
  const names = ['TRANSPARENT_HUGEPAGE'];
  counter.calls++;
  const files = [...new Set((await repo.findSymbolFiles(bad, names)).values())].sort();
  counter.calls++;
  const touching = new Set((await execa('git', ['--git-dir', repo.gitDir, 'rev-list', bad, '--not', ...goods, '--', ...files])).stdout.split('\n').filter((l) => l.length === 40));
  const judge = async (sha: string): Promise<string | null> => {
    const symbols = new Map<string, KconfigSymbol>();
    for (const file of files) {
      counter.calls += 2; // cat-file -e, cat-file blob
      counter.blobs++;
      const t = await repo.readFileAt(sha, file);
      if (t !== null) for (const [k, v] of parseKconfig(t, file)) symbols.set(k, v);
    }
    return judgeSymbols(symbols, names, files);
  };
  const { commits, parents } = graph;
  const answer = new Array<string | null | undefined>(commits.length);
  for (const c of indexGraph(graph).topo) {
    const ps = parents[c] ?? [];
    const inRange = ps.filter((p) => p >= 0);
    if (touching.has(commits[c]!) || inRange.length === 0 || inRange.length < ps.length) {
      answer[c] = await judge(commits[c]!);
      continue;
    }
    const first = answer[inRange[0]!] ?? null;
    answer[c] = inRange.every((p) => (answer[p] ?? null) === first) ? first : await judge(commits[c]!);
  }
  const out: Record<string, string> = {};
  commits.forEach((sha, i) => {
    if (answer[i]) out[sha] = answer[i];
  });
  return out;
}
