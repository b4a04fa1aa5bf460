/** Redis key layout, under a namespace so tests (and several deployments) never collide. */
export interface Keys {
  readonly index: string;
  log(id: string): string;
  /** Console lines of a bisection's lab steps: a capped stream of their own, so they never grow the log. */
  console(id: string): string;
  once(id: string): string;
  graph(id: string): string;
  /** The bisection's fold (without its graph), so a new process does not replay the log from the start. */
  fold(id: string): string;
  meta(id: string): string;
  evidence(id: string, name: string): string;
  cancel(id: string): string;
  /** The runs built ahead for a bisection and not yet dropped (a hash: run key → the run's JSON). */
  buildsAhead(id: string): string;
  /** Set when a build ahead became moot: its build worker stops it. */
  dropBuildAhead(id: string, run: string): string;
  readonly metrics: string;
  /** The answered bisections (found or ambiguous), scored like the index: what the list's text search walks. */
  readonly answered: string;
  /** The ids of the bisections with a status, one set per status: /metrics counts them with SCARD. */
  byStatus(status: string): string;
  /** A web UI session, by the sha256 of its cookie value (a Redis reader cannot replay a cookie). */
  session(hash: string): string;
  /** A token's submission times in the last minute (a sorted set): the rate limit. */
  submissions(token: string): string;
  /** The ids a token has queued or running: the concurrency limit. */
  active(token: string): string;
  /**
   * Shared results: the runs of one kernel under one probe fingerprint (a hash, run index → cached run). The
   * kernel is the commit, or the commit with `revert` reverted on top (a revert check): another kernel, its own runs.
   */
  verdicts(fingerprint: string, commit: string, revert?: string): string;
  /** The commits with cached runs under one fingerprint (a set): what a new bisection can take before its first test. */
  verdictIndex(fingerprint: string): string;
  /** Who is testing run `run` of a kernel (commit, and what is reverted) under a fingerprint now (a string with a TTL): in-flight dedupe. */
  verdictClaim(fingerprint: string, commit: string, run: number, revert?: string): string;
  /** The bisections waiting for that claimed run's result (a set). */
  verdictWaiters(fingerprint: string, commit: string, run: number, revert?: string): string;
  /** The cache entries a bisection's runs wrote (a set of `<verdicts key>|<run>`): what an invalid annotation removes. */
  verdictsFrom(id: string): string;
  /** The claims a bisection holds (a set of claim keys): released when it ends. */
  claimsOf(id: string): string;
  /** The live test workers and their slots (a hash, worker id → `<slots> <expires ms>`): k for command probes. */
  readonly testWorkers: string;
  /** Sign-in attempts in the current minute, per client address or per sha256 of the token tried: the sign-in rate limit. */
  signIns(scope: 'client' | 'token', id: string): string;
  /** A machine's recent tests and infrastructure failures, newest first (a capped list): the machines page. */
  machineHistory(machineId: string): string;
}

export function keysFor(namespace: string): Keys {
  const b = (id: string): string => `${namespace}:b:${id}`;
  // A plain commit keeps the key it always had; a reverted one adds what is reverted.
  const kernel = (fp: string, commit: string, revert: string | undefined): string => `${namespace}:verdicts:${fp}:${commit}${revert === undefined ? '' : `:revert:${revert}`}`;
  return {
    index: `${namespace}:bisections`,
    log: (id) => `${b(id)}:log`,
    console: (id) => `${b(id)}:console`,
    once: (id) => `${b(id)}:once`,
    graph: (id) => `${b(id)}:graph`,
    fold: (id) => `${b(id)}:fold`,
    meta: (id) => `${b(id)}:meta`,
    evidence: (id, name) => `${b(id)}:evidence:${name}`,
    cancel: (id) => `${b(id)}:cancel`,
    buildsAhead: (id) => `${b(id)}:ahead`,
    dropBuildAhead: (id, run) => `${b(id)}:ahead-drop:${run}`,
    metrics: `${namespace}:metrics`,
    answered: `${namespace}:bisections:answered`,
    byStatus: (status) => `${namespace}:status:${status}`,
    session: (hash) => `${namespace}:session:${hash}`,
    submissions: (token) => `${namespace}:token:${token}:submissions`,
    active: (token) => `${namespace}:token:${token}:active`,
    verdicts: (fp, commit, revert) => kernel(fp, commit, revert),
    verdictIndex: (fp) => `${namespace}:verdicts:${fp}`,
    verdictClaim: (fp, commit, run, revert) => `${kernel(fp, commit, revert)}:${run}:claim`,
    verdictWaiters: (fp, commit, run, revert) => `${kernel(fp, commit, revert)}:${run}:waiters`,
    verdictsFrom: (id) => `${b(id)}:verdicts-written`,
    claimsOf: (id) => `${b(id)}:claims`,
    testWorkers: `${namespace}:test-workers`,
    signIns: (scope, id) => `${namespace}:signin:${scope}:${id}`,
    machineHistory: (machineId) => `${namespace}:machine:${machineId}:history`,
  };
}
