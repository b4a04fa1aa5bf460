import type { Worker } from 'bullmq';

/** One role's running worker and what it holds besides, for start-workers' shutdown order. */
export interface StartedRole {
  readonly worker: Worker;
  /** Before any worker closes: stop announcing this process (no new work is counted on it) and its timers (they use the connections closed next). */
  withdraw?(): Promise<void>;
  /** After the workers and connections closed: give back what the role held on this host (servers, slots). */
  release?(): Promise<void>;
}
