/**
 * Why a commit is run: to bisect, to calibrate a flaky reproducer at a known
 * end, to check the ends before the first step, or to verify a culprit
 * (re-test it, its parent, the bad end, and the bad end with the culprit
 * reverted), or to narrow an untestable stretch (built with the blocking
 * dependency dropped: forced).
 */
export const RUN_PURPOSES = ['bisect', 'calibrate', 'verify-culprit', 'verify-parent', 'verify-bad', 'verify-revert', 'check-good', 'check-bad', 'narrow'] as const;
export type RunPurpose = (typeof RUN_PURPOSES)[number];

/**
 * One run of a commit: which commit, why, which run of it for that purpose
 * (flaky policies run a commit several times), and what is reverted on top of
 * it (a revert check). Commands, pending steps, events, jobs, evidence names
 * and views all name a run with this.
 */
export interface RunRef {
  readonly commit: string;
  readonly purpose: RunPurpose;
  readonly run: number;
  readonly revert?: string;
}

/**
 * A run as written on the wire and in stored events: `purpose` and `run` are
 * left out at their defaults (a first bisect run), so events written before
 * either existed still name the right run.
 */
export interface RunFields {
  readonly commit: string;
  /** @defaultValue 'bisect' */
  readonly purpose?: RunPurpose;
  /** @defaultValue 0 */
  readonly run?: number;
  readonly revert?: string;
}

/**
 * What `purpose` and `run` are when the wire leaves them out: a first bisect
 * run. (The web UI, which loads no engine code, restates them typed as
 * `typeof RUN_DEFAULTS`, so a change here fails its build.)
 */
export const RUN_DEFAULTS = { purpose: 'bisect', run: 0 } as const satisfies Pick<RunRef, 'purpose' | 'run'>;

/** The one place the wire defaults are filled in. */
export function runRef(fields: RunFields): RunRef {
  return { commit: fields.commit, purpose: fields.purpose ?? RUN_DEFAULTS.purpose, run: fields.run ?? RUN_DEFAULTS.run, ...(fields.revert !== undefined ? { revert: fields.revert } : {}) };
}

/** The compact wire form: defaults left out. */
export function runFields(ref: RunRef): RunFields {
  return { commit: ref.commit, ...(ref.purpose !== RUN_DEFAULTS.purpose ? { purpose: ref.purpose } : {}), ...(ref.run !== RUN_DEFAULTS.run ? { run: ref.run } : {}), ...(ref.revert !== undefined ? { revert: ref.revert } : {}) };
}

/** Identifies a run (commit, purpose, run): two records with the same key are the same run. */
export function runKey(fields: RunFields): string {
  const r = runRef(fields);
  return `${r.commit}:${r.purpose}:${r.run}`;
}

/** A bisect-purpose run (the search itself, not a check, verification or calibration). */
export function isBisectRun(fields: Pick<RunFields, 'purpose'>): boolean {
  return runRef({ commit: '', ...fields }).purpose === 'bisect';
}

/**
 * A run's name in evidence keys and append-once tokens: the first bisect run
 * is the bare commit (the names written before runs had purposes), others
 * add purpose and run.
 */
export function runName(fields: RunFields, separator = '-'): string {
  const r = runRef(fields);
  return r.purpose === RUN_DEFAULTS.purpose && r.run === RUN_DEFAULTS.run ? r.commit : [r.commit, r.purpose, String(r.run)].join(separator);
}
