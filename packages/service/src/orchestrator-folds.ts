import type { CommitGraph } from '@kbisect/bisect';
import { runsEngine, type BisectionFold } from './bisection-fold.js';
import { covers, type FoldSnapshots } from './fold-snapshot.js';
import type { StoredLogEvent } from './log-event.js';

/** When a reader leaves a big range's engine steps to the orchestrator, and how long it waits for one. */
export interface OrchestratorFoldOptions {
  /** Ranges of at least this many commits (`initialized.commits`). @defaultValue 20000 */
  readonly fromCommits?: number;
  /** How long a read waits for the orchestrator's fold before it folds itself. @defaultValue 10000 */
  readonly waitMs?: number;
  /** How often a waiting read looks at the stored fold's position (GETRANGE: the fold is not read until it is there). @defaultValue 25 */
  readonly pollMs?: number;
}

/**
 * How the API reads a bisection whose range is big. The engine's step after
 * an event costs O(range) (up to hundreds of ms at the range cap, more on a
 * loaded machine), and the orchestrator takes it anyway, on its pass
 * after the event, and saves the fold. So a read that finds events the engine
 * must hear waits — without blocking the event loop — for the orchestrator's
 * stored fold that covers them and takes it, instead of taking the step again
 * on the API's event loop. Readers of one bisection share one wait. Without
 * an orchestrator (none running, a pass that never comes) a read gives up
 * after `waitMs` and folds itself.
 */
export class OrchestratorFolds {
  private readonly fromCommits: number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly waits = new Map<string, Promise<BisectionFold | undefined>>();

  constructor(private readonly snapshots: FoldSnapshots, options: OrchestratorFoldOptions = {}) {
    this.fromCommits = options.fromCommits ?? 20_000;
    this.waitMs = options.waitMs ?? 10_000;
    this.pollMs = options.pollMs ?? 25;
  }

  /**
   * The entry the orchestrator's fold must cover before `entries` (the log
   * after `known`, every one newer than it) can be read without running the
   * engine here: the last one the engine hears, on a big range; undefined:
   * fold them here.
   */
  target(known: BisectionFold, entries: readonly StoredLogEvent[]): string | undefined {
    const initialized = known.initialized ?? entries.find((e) => e.event.type === 'initialized')?.event;
    if (initialized?.type !== 'initialized' || initialized.commits < this.fromCommits) return undefined;
    let target: string | undefined;
    for (const e of entries) if (runsEngine(e.event)) target = e.id;
    return target;
  }

  /** The stored fold once it covers `target`, its graph from `graphOf`; undefined when none does within `waitMs`. */
  covering(id: string, target: string, graphOf: () => Promise<CommitGraph | undefined>): Promise<BisectionFold | undefined> {
    const key = `${id} ${target}`;
    let wait = this.waits.get(key);
    if (!wait) {
      wait = this.waitFor(id, target, graphOf).finally(() => this.waits.delete(key));
      this.waits.set(key, wait);
    }
    return wait;
  }

  private async waitFor(id: string, target: string, graphOf: () => Promise<CommitGraph | undefined>): Promise<BisectionFold | undefined> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      if (covers(await this.snapshots.lastIdOf(id), target)) {
        const fold = await this.snapshots.load(id, graphOf);
        // Far enough but unusable (another FOLD_VERSION, no graph, unparseable): no later save will mend it, so fold here now.
        return fold && covers(fold.lastId, target) ? fold : undefined;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }
}
