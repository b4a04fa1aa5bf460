import { roleAllows, type BisectionRequest, type Principal } from '@kbisect/service';

/** The priority every submitter gets; a lower number (runs sooner) needs the maintain role. */
export const DEFAULT_PRIORITY = 50;
/** bayes's run budget when the request names none (packages/bisect). */
const BAYES_DEFAULT_RUNS = 300;

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
  const timeout = request.probe.type === 'command' ? ['probe.timeoutSec', request.probe.timeoutSec] as const : ['probe.reproducer.timeoutSec', request.probe.reproducer.timeoutSec] as const;
  if (timeout[1] !== undefined && timeout[1] > limits.maxTimeoutSec) return { field: timeout[0], message: `${timeout[0]}: ${timeout[1]} s is over this token's timeout limit of ${limits.maxTimeoutSec} s` };
  return undefined;
}

/**
 * What the request becomes under the token's caps where it left a choice to
 * a default: bayes's run budget, so the engine's default never exceeds what
 * the token may use. (A probe without a timeout gets the worker's, which the
 * operator sets: KBISECT_TEST_TIMEOUT_SEC.)
 */
export function withinLimits(request: BisectionRequest, principal: Principal): BisectionRequest {
  const { limits } = principal;
  const o = request.options ?? {};
  const options = o.policy === 'bayes' && o.maxRuns === undefined && limits.maxRuns < BAYES_DEFAULT_RUNS ? { ...o, maxRuns: limits.maxRuns } : o;
  return options === o ? request : { ...request, options };
}
