import type { Ranked } from './bayes-posterior.js';
import type { BisectState } from './state.js';

/** How the Bayesian search ends. */
export type BayesAnswer =
  | { readonly kind: 'found'; readonly commit: number; readonly confidence: number; readonly posterior: readonly Ranked[] }
  | { readonly kind: 'ambiguous'; readonly commits: readonly number[]; readonly confidence: number; readonly posterior: readonly Ranked[] }
  | { readonly kind: 'failed'; readonly error: string };

/** The state once the Bayesian search has its answer (one run at a time or several). */
export function answeredState(state: BisectState, answer: BayesAnswer): BisectState {
  const shas = state.graph.commits;
  const { next: _next, pending: _p, inFlight: _f, ...rest } = state;
  const posterior = (list: readonly Ranked[]) => list.map((p) => ({ commit: shas[p.commit]!, probability: p.probability }));
  switch (answer.kind) {
    case 'found':
      return { ...rest, status: 'found', culprit: shas[answer.commit]!, confidence: answer.confidence, posterior: posterior(answer.posterior) };
    case 'ambiguous':
      return { ...rest, status: 'ambiguous', candidates: answer.commits.map((i) => shas[i]!), confidence: answer.confidence, posterior: posterior(answer.posterior) };
    case 'failed':
      return { ...rest, status: 'failed', error: answer.error };
  }
}
