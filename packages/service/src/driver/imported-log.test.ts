import { describe, expect, it } from 'vitest';
import { toBisectLog } from '@kbisect/bisect';
import { fakeSha, graphOf } from '@kbisect/bisect/testing';
import { checkImportLog, startWithImported } from './imported-log.js';

const history = { parents: Array.from({ length: 16 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 15 };
const { graph, good, bad } = graphOf(history);

describe('an imported bisect log', () => {
  it('continues a regression below its bad mark and above its good mark', () => {
    const started = startWithImported({ graph, bad, goods: [good] }, [{ commit: fakeSha(12), verdict: 'bad' }, { commit: fakeSha(4), verdict: 'good' }]);
    if (!started.ok) throw new Error(started.message);
    const cmd = started.step.commands[0];
    expect(cmd?.type === 'test' ? cmd.progress.candidatesLeft : 0).toBe(8);
  });

  it("keeps a fix log's meaning: `git bisect fixed X` is git's new mark, not a run that showed the bug", () => {
    const log = checkImportLog(`git bisect start '--term-old=broken' '--term-new=fixed'\ngit bisect fixed ${fakeSha(12)}\ngit bisect broken ${fakeSha(4)}\n`, 'importLog');
    const marks = log.marks.map((m) => ({ commit: m.rev, verdict: m.verdict }));
    const started = startWithImported({ graph, bad, goods: [good], terms: 'fix' }, marks);
    if (!started.ok) throw new Error(started.message);
    expect(toBisectLog(started.step.state)).toContain(`git bisect fixed ${fakeSha(12)}`);
    expect(toBisectLog(started.step.state)).toContain(`git bisect broken ${fakeSha(4)}`);
  });

  it('refuses the whole start when a mark contradicts the range', () => {
    const out = startWithImported({ graph, bad, goods: [good] }, [{ commit: bad, verdict: 'good' }]);
    expect(out).toEqual({ ok: false, message: expect.stringMatching(/^imported log: commit [0-9a-f]{40} is the bad end of the range$/) });
  });
});
