import type { Verdict } from '../state.js';
import { descendantsOf, fakeSha, type GeneratedHistory } from './random-history.js';

/** A linear history 0..n-1 (0 is the good end, n-1 the bad end). */
export function linearHistory(n: number): GeneratedHistory {
  return { parents: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1])), tip: n - 1 };
}

/** A deterministic reproducer over fake shas: bad from `culprit` on, skip on `skips`. */
export function deterministicOracle(history: GeneratedHistory, culprit: number, skips: Iterable<number> = []): (sha: string) => Verdict {
  const bad = new Set([...descendantsOf(history, culprit)].map(fakeSha));
  const skip = new Set([...skips].map(fakeSha));
  return (sha) => (skip.has(sha) ? 'skip' : bad.has(sha) ? 'bad' : 'good');
}
