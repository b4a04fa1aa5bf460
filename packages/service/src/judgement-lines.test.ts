import { fakeSha, graphOf, linearHistory } from '@kbisect/bisect/testing';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { toView } from './bisection-view.js';
import type { LogEvent } from './log-event.js';
import { foldAll } from './replay.js';
import { formatMail } from './report-mail.js';
import { formatReport } from './report.js';

const ID = '0b5f6a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
const { graph, good, bad } = graphOf(linearHistory(4));
const [C1, C2] = [fakeSha(1), fakeSha(2)];

/** A bisection where a maintainer marked a commit by hand, a probe tested another, and two maintainers judged the result. */
const events: LogEvent[] = [
  { type: 'created', at: '2026-11-30T08:00:00.000Z', by: 'alice', request: { repo: '/srv/linux', good: [good], bad, probe: { type: 'command', command: 'make test' } } },
  { type: 'initialized', at: '2026-11-30T08:00:01.000Z', bad, goods: [good], commits: 3, untestable: {} },
  { type: 'verdict', at: '2026-11-30T08:05:00.000Z', commit: C2, verdict: 'bad', reason: 'oops seen on my own box', source: 'manual', by: 'carol' },
  {
    type: 'verdict', at: '2026-11-30T08:20:00.000Z', commit: C1, verdict: 'good', reason: 'test reported good', source: 'probe', durationMs: 61_000,
    evidence: 'console-c1', buildEvidence: 'build-c1', metrics: { buildSeconds: 42.5, totalSeconds: 18.5, pages: 512 }, machine: 'qemu-1',
  },
  { type: 'finished', at: '2026-11-30T08:21:00.000Z', status: 'found', culprit: C2 },
  { type: 'annotation', at: '2026-11-30T09:00:00.000Z', by: 'dave', kind: 'culprit-override', culprit: C1, reason: 'C2 only moved the bug: see the thread' },
  { type: 'annotation', at: '2026-11-30T09:30:00.000Z', by: 'erin', kind: 'invalid', reason: 'the reproducer\u001b[31m was broken' },
];
const fold = foldAll(graph, events);
const view = toView(ID, fold);

describe('manual verdicts and annotations in the reports', () => {
  it('the view carries who and when of a manual verdict, and the build and boot times of a lab step', () => {
    expect(view.status).toBe('found');
    expect(view.verdicts.find((v) => v.commit === C2)).toMatchObject({ source: 'manual', by: 'carol', at: '2026-11-30T08:05:00.000Z' });
    expect(view.verdicts.find((v) => v.commit === C1)).toMatchObject({ source: 'probe', buildSeconds: 42.5, bootSeconds: 18.5, durationMs: 61_000, at: '2026-11-30T08:20:00.000Z' });
  });

  it('lists them in the plain-text report: when, who, what, why, oldest first', () => {
    const text = formatReport(view);
    const said = text.slice(text.indexOf('Maintainers said:')).split('\n').slice(1, 4);
    expect(said).toEqual([
      `  2026-11-30 08:05 carol: marked ${C2.slice(0, 12)} BAD by hand - oops seen on my own box`,
      `  2026-11-30 09:00 dave: the culprit is ${C1.slice(0, 12)} instead - C2 only moved the bug: see the thread`,
      '  2026-11-30 09:30 erin: this result is INVALID - the reproducer\u001b[31m was broken',
    ]);
  });

  it('lists them in the mbox mail, control characters removed', async () => {
    const mail = await simpleParser(formatMail(view, fold, { baseUrl: 'https://kbisect.example.org', from: 'ada@example.org' }).replace(/^From .*\n/, ''));
    const flat = (mail.text ?? '').replace(/\n\s+/g, ' ');
    expect(flat).toContain('Maintainers said (kept beside the result, which is not rewritten):');
    expect(flat).toContain(`2026-11-30 08:05 carol: marked ${C2.slice(0, 12)} BAD by hand - oops seen on my own box`);
    expect(flat).toContain(`2026-11-30 09:00 dave: the culprit is ${C1.slice(0, 12)} instead - C2 only moved the bug: see the thread`);
    expect(flat).toMatch(/2026-11-30 09:30 erin: this result is INVALID - the reproducer\W*31m was broken/);
    expect(mail.text).not.toContain('\u001b');
  });
});
