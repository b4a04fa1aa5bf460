import type { BisectionStore } from '@kbisect/service';

/**
 * What a step job needs of the store: narrow, so job logic is unit-tested
 * with an in-memory fake (BisectionStore provides it against Redis).
 */
export type StepStore = Pick<BisectionStore, 'load' | 'putEvidence' | 'isCancelled'> & {
  readonly log: Pick<BisectionStore['log'], 'append' | 'appendOnce'>;
  /** Console lines of lab steps: a stream of their own (they never move a view). */
  readonly console: Pick<BisectionStore['console'], 'append'>;
};
