import { DEFAULT_COMMAND_TIMEOUT_SEC, DEFAULT_REPRODUCER_TIMEOUT_SEC, probeTimeoutOf, roleAllows, withProbeTimeout, type BisectionRequest, type LimitFill, type Principal, type ProbeTimeoutDefaults } from '@kbisect/service';

/** The priority every submitter gets; a lower number (runs sooner) needs the maintain role. */
export const DEFAULT_PRIORITY = 50;
/** bayes's run budget when the request names none (packages/bisect). */
const BAYES_DEFAULT_RUNS = 300;
/** What a worker applies to a probe without a timeout, unless the API is told otherwise (KBISECT_TEST_TIMEOUT_SEC). */
export const WORKER_TIMEOUT_DEFAULTS: ProbeTimeoutDefaults = { commandSec: DEFAULT_COMMAND_TIMEOUT_SEC, reproducerSec: DEFAULT_REPRODUCER_TIMEOUT_SEC };

export interface LimitProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * The token's caps on one request, checked before anything is stored: run
 * budgets, timeouts and raised priority. (Rate, concurrency and range size
 * need Redis or the graph and are checked elsewhere.)
 */
export function limitProblem(request: BisectionRequest, principal: Principal): LimitProblem | undefined {
  const { limits } = principal;
  const o = request.options ?? {};
  if (o.priority !== undefined && o.priority < DEFAULT_PRIORITY && !roleAllows(principal.role, 'maintain')) {
    return { field: 'options.priority', message: `options.priority: ${o.priority} runs ahead of others; below ${DEFAULT_PRIORITY} needs the 'maintain' role (the token has '${principal.role}')` };
  }
  const runs: [string, number | undefined][] = [['options.maxRuns', o.maxRuns], ['options.goodAfter', o.goodAfter], ['options.badAfter', o.badAfter]];
  for (const [field, value] of runs) {
    if (value !== undefined && value > limits.maxRuns) return { field, message: `${field}: ${value} is over this token's run limit of ${limits.maxRuns}` };
  }
  const timeout = probeTimeoutOf(request);
  if (timeout.sec !== undefined && timeout.sec > limits.maxTimeoutSec) return { field: timeout.field, message: `${timeout.field}: ${timeout.sec} s is over this token's timeout limit of ${limits.maxTimeoutSec} s` };
  return undefined;
}

/**
 * What the request becomes under the token's caps where it left a choice to
 * a default, so the stored request says what will be applied: bayes's run
 * budget, and a probe timeout the worker's default (`defaults`) would set
 * above the token's limit. `filled` names the fields written so, for the
 * created event (a retry leaves them out again).
 */
export function withinLimits(request: BisectionRequest, principal: Principal, defaults: ProbeTimeoutDefaults): { readonly request: BisectionRequest; readonly filled: readonly LimitFill[] } {
  const { limits } = principal;
  const filled: LimitFill[] = [];
  const o = request.options ?? {};
  let out = request;
  if (o.policy === 'bayes' && o.maxRuns === undefined && limits.maxRuns < BAYES_DEFAULT_RUNS) {
    out = { ...out, options: { ...o, maxRuns: limits.maxRuns } };
    filled.push('options.maxRuns');
  }
  const workerDefault = request.probe.type === 'command' ? defaults.commandSec : defaults.reproducerSec;
  const timeout = probeTimeoutOf(request);
  if (timeout.sec === undefined && limits.maxTimeoutSec < workerDefault) {
    out = withProbeTimeout(out, limits.maxTimeoutSec);
    filled.push(timeout.field);
  }
  return { request: out, filled };
}
