import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidatesOf } from '@kbisect/bisect';
import { applyEntries, emptyFold } from './bisection-fold.js';
import { toView } from './bisection-view.js';
import { scenario } from './fold-scenario.test-support.js';
import type { LogEvent, StoredLogEvent } from './log-event.js';
import { foldAll, replay, replayedOf } from './replay.js';

const stored = (events: readonly LogEvent[]): StoredLogEvent[] => events.map((event, i) => ({ id: `${i + 1}-0`, event }));

describe('what the fold derives for the view', () => {
  it('counts the candidates left at every engine step, as candidatesOf does, so the view never walks the graph', () => {
    let checked = 0;
    for (const seed of [3, 11, 29, 41, 57]) {
      const { graph, events } = scenario(seed, 30);
      let fold = emptyFold();
      for (const entry of stored(events)) {
        fold = applyEntries(fold, graph, [entry]);
        const state = fold.step?.state;
        if (state?.status !== 'running') {
          expect(fold.candidatesLeft).toBeUndefined();
          continue;
        }
        expect(fold.candidatesLeft).toBe(candidatesOf(state).length);
        expect(toView('b', fold).candidatesLeft).toBe(fold.candidatesLeft);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('the incremental fold equals the fold of the whole log', () => {
  it('when split in two at every point (property over generated logs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const { graph, events } = scenario(seed, 30);
        const entries = stored(events);
        const all = foldAll(graph, events);
        for (let k = 0; k <= entries.length; k++) {
          const chunked = applyEntries(applyEntries(emptyFold(), graph, entries.slice(0, k)), graph, entries.slice(k));
          expect(chunked).toEqual(all);
        }
        expect(toView('b', all)).toEqual(toView('b', applyEntries(emptyFold(), graph, entries)));
      }),
      { numRuns: 20 },
    );
  });

  it('when applied in random chunks, overlapping ones and a graph known only later (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3 }), (seed, sizes, graphLate) => {
        const { graph, events } = scenario(seed);
        const entries = stored(events);
        let fold = emptyFold();
        let at = 0;
        let calls = 0;
        for (const size of [...sizes, entries.length]) {
          // Start a little before the fold's position: a racing reader's overlap is skipped.
          const from = Math.max(0, at - (size % 3));
          // The graph is unknown to the first few calls (it is stored before `initialized`, but a fold must not need it early).
          fold = applyEntries(fold, calls++ < graphLate ? undefined : graph, entries.slice(from, at + size));
          at = Math.min(entries.length, at + size);
          if (at >= entries.length) break;
        }
        if (calls <= graphLate) fold = applyEntries(fold, graph, []);
        expect(fold).toEqual(foldAll(graph, events));
        expect(toView('b', fold)).toEqual(toView('b', foldAll(graph, events)));
      }),
      { numRuns: 40 },
    );
  });
});

describe('the fold', () => {
  const { graph, events } = scenario(7);
  const created = events[0]!;
  const init = events.find((e) => e.type === 'initialized')!;

  it('does not move the view for progress and console lines', () => {
    const base = applyEntries(emptyFold(), graph, stored(events.slice(0, 2)));
    const more = applyEntries(base, graph, [{ id: '9-0', event: { type: 'step-progress', at: init.at, commit: 'a'.repeat(40), phase: 'console', message: '1 console line(s)', lines: ['x'] } }]);
    expect(more.lastId).toBe('9-0');
    expect(more.viewId).toBe(base.viewId);
    expect(more.step).toBe(base.step);
  });

  it('keeps the given fold unchanged (a cached fold may be shared by callers)', () => {
    const base = applyEntries(emptyFold(), graph, stored(events.slice(0, 2)));
    const copy = structuredClone(base);
    applyEntries(base, graph, stored(events).slice(2));
    expect(base).toEqual(copy);
  });

  it('applies a cancel logged before initialization once the engine starts', () => {
    const log: LogEvent[] = [created, { type: 'cancel-requested', at: init.at, by: 'bob' }, init];
    const early = applyEntries(emptyFold(), graph, stored(log.slice(0, 2)));
    expect(replayedOf(early)).toMatchObject({ phase: 'initializing', cancelRequested: true });
    const r = replay(graph, log);
    expect(r.phase === 'bisecting' && r.state.status).toBe('cancelled');
  });

  it('reports a failure before initialization as failed-to-start', () => {
    expect(replay(graph, [created, { type: 'failed', at: init.at, error: 'no such ref' }])).toEqual({ phase: 'failed-to-start', error: 'no such ref' });
  });

  it('stays initializing while the graph is unknown, and starts when it is given', () => {
    const waiting = applyEntries(emptyFold(), undefined, stored(events.slice(0, 2)));
    expect(replayedOf(waiting).phase).toBe('initializing');
    expect(replayedOf(applyEntries(waiting, graph, [])).phase).toBe('bisecting');
  });

  it('lists a manual verdict the engine refuses while running, and does not apply it', () => {
    const outside = 'f'.repeat(40);
    const r = replay(graph, [created, init, { type: 'verdict', at: init.at, commit: outside, verdict: 'good', reason: 'marked good', source: 'manual', by: 'carol' }]);
    expect(r.phase).toBe('bisecting');
    if (r.phase !== 'bisecting') return;
    expect(r.ignored).toHaveLength(1);
    expect(r.state.history.some((h) => h.source === 'manual')).toBe(false);
  });

  it("gives a verdict taken from the verdict cache the original run in the view: its bisection, run and evidence names", () => {
    const at = events.findIndex((e) => e.type === 'verdict' && e.source === 'probe');
    const first = events[at];
    if (first?.type !== 'verdict') throw new Error('scenario 7 has no probe verdict');
    const { evidence: _evidence, buildEvidence: _build, ...fields } = first;
    const origin = '0b5f6a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
    const reused = { bisection: origin, run: 0, evidence: `test-${first.commit}`, buildEvidence: `build-${first.commit}` };
    const view = toView('b', foldAll(graph, [...events.slice(0, at), { ...fields, reused }]));
    const v = view.verdicts.find((x) => x.commit === first.commit)!;
    expect(v).toMatchObject({ reusedFrom: origin, reused, reusedEvidence: [`/api/v1/bisections/${origin}/evidence/test-${first.commit}`, `/api/v1/bisections/${origin}/evidence/build-${first.commit}`] });
    expect(v.evidence).toBeUndefined();
    expect(view.reused).toBe(1);
  });
});
