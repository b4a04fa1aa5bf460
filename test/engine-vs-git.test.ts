/**
 * The contract of ARCHITECTURE.md: for deterministic verdicts kbisect's
 * culprit, or ambiguous set, equals what `git bisect run` finds on the same
 * history — here on generated repositories with merges, random culprits and
 * random skip sets, read through packages/git as the CLI reads them. The
 * sequence of tested commits must match too: the engine walks git's path.
 * KBISECT_PROPERTY_CASES raises the number of cases (default 60).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '@kbisect/bisect';
import { descendantsOf, generateHistory, seededRandom, simulate } from '@kbisect/bisect/testing';
import { openRepo } from '@kbisect/git';
import { gitBisectRun, writeGitHistory } from './support/git-fixture.js';

const CASES = Number(process.env.KBISECT_PROPERTY_CASES ?? 60);

describe('kbisect equals git bisect run', () => {
  it(`on ${CASES} generated histories with merges, culprits and skip sets`, async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'kbisect-prop-cache-'));
    const mismatches: string[] = [];
    try {
      for (let k = 1; k <= CASES; k++) {
        const seed = 1000 + k;
        const random = seededRandom(seed);
        const history = generateHistory(random, { commits: 100 + Math.floor(random() * 300), forkRate: 0.1, mergeRate: 0.1 });
        const fx = await writeGitHistory(history);
        const scratch = await mkdtemp(join(tmpdir(), 'kbisect-prop-'));
        try {
          const culprit = 1 + Math.floor(random() * (history.parents.length - 1));
          const badSet = new Set([...descendantsOf(history, culprit)].map((i) => fx.shas[i]!));
          const rate = [0, 0.05, 0.15, 0.4][k % 4]!;
          const skipSet = new Set(fx.shas.filter((_, i) => i > 0 && i !== history.tip && random() < rate));
          const firstParent = k % 5 === 0;
          const bad = fx.shas[history.tip]!;
          const good = fx.shas[0]!;
          const git = await gitBisectRun(fx.dir, { bad, good, badSet, skipSet, firstParent, scratch });
          const repo = await openRepo({ kind: 'path', path: fx.dir }, { cacheDir, fetch: true });
          const graph = await repo.readGraph(bad, [good]);
          const ours = simulate({ graph, bad, goods: [good], firstParent }, (s): Verdict => (skipSet.has(s) ? 'skip' : badSet.has(s) ? 'bad' : 'good'));
          const sameAnswer = ours.state.status === git.status && ours.state.culprit === git.culprit && [...(ours.state.candidates ?? [])].sort().join() === [...(git.candidates ?? [])].sort().join();
          const samePath = ours.tested.join() === git.tested.join();
          if (!sameAnswer || !samePath) mismatches.push(`seed ${seed}: ${history.parents.length} commits, skip rate ${rate}, first-parent ${firstParent}: git ${git.status} ${git.culprit ?? git.candidates?.length}, kbisect ${ours.state.status}; same path ${samePath}`);
        } finally {
          await fx.cleanup();
          await rm(scratch, { recursive: true, force: true });
        }
      }
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
    expect(mismatches).toEqual([]);
  }, 900_000);
});
