import type { CommitGraph } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom, type Random } from '@kbisect/bisect/testing';
import type { LogEvent } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { driverNext, startDriver, testsMergeBase, type DriverStep } from './driver/driver-step.js';
import { driverStartOf } from './start-step.js';

export interface Scenario {
  readonly graph: CommitGraph;
  readonly events: readonly LogEvent[];
}

const at = (n: number): string => new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString();

/**
 * A log as the service writes it, driven by the engine over a generated
 * history: created, initialized, then per step a step-started, progress and
 * console lines and a verdict, with the odd refused manual verdict, a repeated
 * verdict, a cancel or an early failure; finished at the end. Seeded, so a
 * failing seed can be replayed.
 */
export function scenario(seed: number, maxSteps = 80): Scenario {
  const random: Random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const history = generateHistory(random, { commits: 20 + Math.floor(random() * 150) });
  const { graph, good, bad } = graphOf(history);
  const badSet = new Set([...descendantsOf(history, 1 + Math.floor(random() * (history.parents.length - 2)))].map(fakeSha));
  const flaky = random() < 0.3;
  const options: NonNullable<BisectionRequest['options']> = {
    ...(random() < 0.5 ? { checkEndpoints: true } : {}),
    ...(random() < 0.4 ? { verify: true, verifyRevert: random() < 0.5 } : {}),
    ...(flaky ? { policy: pick(['repeat', 'bayes'] as const), maxRuns: 60 } : {}),
  };
  const request: BisectionRequest = { repo: '/srv/linux', good: [good.slice(0, 12)], bad: 'HEAD', probe: { type: 'command', command: 'true' }, options };
  const events: LogEvent[] = [{ type: 'created', at: at(0), by: 'alice', request }];
  let t = 1;
  const ending = random();
  if (ending < 0.05) {
    events.push({ type: 'failed', at: at(t++), error: 'bad is not a descendant of good' });
    events.push({ type: 'finished', at: at(t++), status: 'failed', error: 'bad is not a descendant of good' });
    return { graph, events };
  }
  if (ending < 0.1) events.push({ type: 'cancel-requested', at: at(t++), by: 'bob' });
  const untestable = Object.fromEntries(graph.commits.filter(() => random() < 0.05).filter((c) => c !== bad && c !== good).map((c) => [c, 'CONFIG_X cannot be enabled']));
  // Now and then the good end sits on a side branch: its merge base with bad (the range's good end) is tested first.
  const beside = random() < 0.25;
  const init: Extract<LogEvent, { type: 'initialized' }> = {
    type: 'initialized', at: at(t++), bad, goods: beside ? [fakeSha(100_000)] : [good], commits: graph.commits.length, untestable, ...(beside ? { mergeBases: [good] } : {}),
  };
  events.push(init);
  const start = driverStartOf(graph, init, request);
  const started = startDriver(start);
  if (!started.ok) throw new Error(`scenario start refused: ${started.message}`);
  let d: DriverStep = started.driver;
  const step = (): DriverStep['step'] => d.step;
  const cancelAt = ending < 0.2 ? 2 + Math.floor(random() * 6) : Infinity;
  for (let n = 0; n < maxSteps && step().state.status === 'running'; n++) {
    const test = step().commands.find((c) => c.type === 'test');
    if (test?.type !== 'test') break;
    if (n === cancelAt) {
      const cancel: LogEvent = { type: 'cancel-requested', at: at(t++), by: 'bob', reason: 'enough' };
      events.push(cancel);
      d = driverNext(start, d, { type: 'cancel', reason: 'cancelled by bob: enough' });
      break;
    }
    events.push({ type: 'step-started', at: at(t++), commit: test.commit, progress: test.progress, attempt: 1, ...(test.purpose && test.purpose !== 'bisect' ? { purpose: test.purpose } : {}), ...(test.revert ? { revert: test.revert } : {}) });
    if (random() < 0.5) events.push({ type: 'step-progress', at: at(t++), commit: test.commit, phase: 'console', message: '2 console line(s)', lines: ['[ 0.1] booting', '[ 0.2] vfio'] });
    // A maintainer's verdict contradicting the start (the engine refuses it while running).
    if (random() < 0.1) events.push({ type: 'verdict', at: at(t++), commit: bad, verdict: 'good', reason: 'marked good by carol', source: 'manual', by: 'carol' });
    if (test.purpose === 'verify-revert' && random() < 0.3) {
      events.push({ type: 'revert-unavailable', at: at(t++), reason: 'the revert does not apply' });
      d = driverNext(start, d, { type: 'revert-unavailable', reason: 'the revert does not apply' });
      continue;
    }
    const fails = badSet.has(test.commit) && test.purpose !== 'verify-revert' ? !flaky || random() < 0.7 : flaky && random() < 0.05;
    const roll = random();
    const verdict = testsMergeBase(d) ? (roll < 0.15 ? 'bad' : roll < 0.3 ? 'skip' : 'good') : untestable[test.commit] ? 'skip' : fails ? 'bad' : 'good';
    const v: Extract<LogEvent, { type: 'verdict' }> = {
      type: 'verdict', at: at(t++), commit: test.commit, verdict, reason: `exit ${fails ? 1 : 0}`, source: 'probe', durationMs: 1000 + n,
      evidence: `output-${test.commit}-${n}`, metrics: { resultSeconds: n }, machine: 'lab-1',
      ...(test.run ? { run: test.run } : {}), ...(test.purpose && test.purpose !== 'bisect' ? { purpose: test.purpose } : {}),
    };
    events.push(v);
    // A replayed job's verdict for the same run: the engine refuses the repeat.
    if (random() < 0.05) events.push({ ...v, at: at(t++) });
    d = driverNext(start, d, { type: 'verdict', commit: v.commit, verdict: v.verdict, reason: v.reason, source: 'probe', ...(v.run ? { run: v.run } : {}), ...(v.purpose ? { purpose: v.purpose } : {}) });
  }
  const s = step().state;
  if (s.status !== 'running') {
    events.push({ type: 'finished', at: at(t++), status: s.status, ...(s.culprit ? { culprit: s.culprit } : {}), ...(s.candidates ? { candidates: [...s.candidates] } : {}), ...(s.error ? { error: s.error } : {}), commits: [] });
  }
  return { graph, events };
}
