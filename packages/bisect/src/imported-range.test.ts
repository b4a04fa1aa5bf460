import { describe, expect, it } from 'vitest';
import { parseBisectLog } from './bisect-log.js';
import { rangeFromImportedLog } from './imported-range.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('the range an imported log continues on', () => {
  it("reads git's resolved start from the comments before its start line", () => {
    const parsed = parseBisectLog(`# bad: [${A}] tip\n# good: [${B}] base\ngit bisect start '--first-parent' 'main' 'main~9'\n# good: [${C}] x\ngit bisect good ${C}\n`);
    expect(parsed).toMatchObject({ ok: true, log: { firstParent: true, startBad: 'main', startGoods: ['main~9'], startShas: { bad: A, goods: [B] }, marks: [{ rev: C, verdict: 'good' }] } });
  });
  it.each([
    { name: 'the log alone gives ends and mode', given: { goods: [] }, want: { bad: A, goods: [B], firstParent: true } },
    { name: 'agreeing flags are fine', given: { bad: A, goods: [B], firstParent: true }, want: { bad: A, goods: [B], firstParent: true } },
    { name: 'a different bad is refused', given: { bad: C, goods: [] }, error: /^--bad cccccccccccc contradicts the imported log, which starts from bad aaaaaaaaaaaa/ },
    { name: 'different goods are refused', given: { goods: [C] }, error: /^--good cccccccccccc contradicts/ },
  ])('$name', ({ given, want, error }) => {
    const out = rangeFromImportedLog({ firstParent: true, bad: A, goods: [B] }, given);
    if (want) expect(out).toEqual({ ok: true, range: want });
    else expect(out.ok ? '' : out.message).toMatch(error!);
  });
  it('refuses --first-parent on a log started without it, and needs ends from somewhere', () => {
    expect(rangeFromImportedLog({ firstParent: false, bad: A, goods: [B] }, { goods: [], firstParent: true })).toMatchObject({ ok: false, message: expect.stringMatching(/^--first-parent: the imported log was started without/) });
    expect(rangeFromImportedLog({ firstParent: false, goods: [] }, { goods: [B] })).toMatchObject({ ok: false, message: expect.stringMatching(/^--bad is required/) });
    expect(rangeFromImportedLog({ firstParent: false, goods: [] }, { bad: A, goods: [B] })).toEqual({ ok: true, range: { bad: A, goods: [B], firstParent: false } });
  });
});
