import { describe, expect, it } from 'vitest';
import { toBisectLog } from '@kbisect/bisect';
import { fakeSha, graphOf } from '@kbisect/bisect/testing';
import type { LogEvent } from './log-event.js';
import { replay } from './replay.js';

const history = { parents: Array.from({ length: 16 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 15 };
const { graph, good, bad } = graphOf(history);
const at = '2026-11-30T00:00:00Z';
const created = (options: Record<string, unknown> = {}): LogEvent => ({ type: 'created', at, by: 't', request: { repo: '/r', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'true' }, options } });
const initialized = (extra: Partial<Extract<LogEvent, { type: 'initialized' }>> = {}): LogEvent => ({ type: 'initialized', at, bad, goods: [good], commits: graph.commits.length, untestable: {}, ...extra });

describe('replay', () => {
  it("gives the engine each verdict's metrics, so its records carry them", () => {
    const first = replay(graph, [created(), initialized()]);
    if (first.phase !== 'bisecting' || first.commands[0]?.type !== 'test') throw new Error('expected a first step');
    const commit = first.commands[0].commit;
    const r = replay(graph, [created(), initialized(), { type: 'verdict', at, commit, verdict: 'bad', reason: 'test reported bad', source: 'probe', metrics: { mismatches: 17 } }]);
    if (r.phase !== 'bisecting') throw new Error('expected bisecting');
    expect(r.state.history.find((h) => h.commit === commit && h.source === 'probe')?.metrics).toEqual({ mismatches: 17 });
  });

  it('replays verdict events written before RunRef (flat optional purpose and run)', () => {
    const r = replay(graph, [created({ verify: true }), initialized(), { type: 'verdict', at, commit: graph.commits[7]!, verdict: 'bad', reason: 'x', source: 'probe', purpose: 'bisect', run: 0 }]);
    if (r.phase !== 'bisecting') throw new Error('expected bisecting');
    expect(r.state.history.at(-1)).toMatchObject({ commit: graph.commits[7], verdict: 'bad' });
    expect(r.state.history.at(-1)).not.toHaveProperty('purpose');
  });

  it("applies an imported log's marks from the initialized event before the first step", () => {
    const mid = fakeSha(8);
    const r = replay(graph, [created(), initialized({ imported: [{ commit: mid, verdict: 'bad' }] })]);
    if (r.phase !== 'bisecting') throw new Error('expected bisecting');
    expect(r.state.history.find((h) => h.source === 'log')).toMatchObject({ commit: mid, verdict: 'bad' });
    const cmd = r.commands[0];
    if (cmd?.type !== 'test') throw new Error('expected a test');
    // The search continues below the imported bad mark.
    expect(Array.from({ length: 8 }, (_, i) => fakeSha(i + 1))).toContain(cmd.commit);
    expect(cmd.progress.candidatesLeft).toBe(8);
  });

  it('runs a fix bisection with git\'s old/new terms in its log', () => {
    const r = replay(graph, [created({ terms: 'fix' }), initialized()]);
    if (r.phase !== 'bisecting') throw new Error('expected bisecting');
    expect(r.state.terms).toBe('fix');
    expect(toBisectLog(r.state)).toMatch(/^git bisect start '--term-old=broken' '--term-new=fixed'/);
  });
});
