import { simpleParser, type AddressObject } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { BisectionView } from './bisection-view.js';
import type { BisectionFold } from './bisection-fold.js';
import type { LogEvent } from './log-event.js';
import { foldAll } from './replay.js';
import { MailAddressError } from './mail-address.js';
import { REGRESSIONS_LIST, formatMail } from './report-mail.js';

const sha = (c: string): string => c.repeat(40);
const [GOOD, A, B, C, CULPRIT, BAD] = ['1', '2', '3', '4', '5', '6'].map(sha) as [string, string, string, string, string, string];
const ID = '0b5f6a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
const BASE = 'https://kbisect.example.org';

const kernelRequest = {
  repo: '/srv/linux', good: ['v6.1'], bad: 'demo-bad',
  probe: { type: 'kernel' as const, configFragments: ['base', 'vfio'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'qemu', reproducer: { name: 'vfio-pin-check', args: ['--mode=fork', '--pages=512'] } },
  options: { requireConfig: ['CONFIG_VFIO'] },
};

/** The fold of a kernel bisection's log with `extra` events before its end. */
function folded(extra: LogEvent[]): BisectionFold {
  const events: LogEvent[] = [
    { type: 'created', at: '2026-11-30T08:00:00.000Z', by: 'alice', request: kernelRequest },
    { type: 'initialized', at: '2026-11-30T08:00:01.000Z', bad: BAD, goods: [GOOD], commits: 6, untestable: { [B]: 'untestable: CONFIG_TRANSPARENT_HUGEPAGE not set (depends on BROKEN)', [C]: 'untestable: CONFIG_TRANSPARENT_HUGEPAGE not set (depends on BROKEN)' } },
    ...extra,
    { type: 'finished', at: '2026-11-30T09:15:42.000Z', status: 'found' },
  ];
  return foldAll(undefined, events);
}

const facts = (addresses: string[]): LogEvent => ({ type: 'report-facts', at: '2026-11-30T09:15:41.000Z', recipients: { source: 'get_maintainer', commits: [CULPRIT], addresses }, toolchain: 'gcc-12-12.2.0' });

const base: Omit<BisectionView, 'status'> = {
  id: ID, steps: 3, repo: '/srv/linux', good: ['v6.1'], bad: 'demo-bad', createdAt: '2026-11-30T08:00:00.000Z', submittedBy: 'alice',
  verdicts: [
    { commit: A, verdict: 'good', reason: 'test reported good', source: 'probe', evidence: 'test-aaa' },
    { commit: B, verdict: 'skip', reason: 'untestable: CONFIG_TRANSPARENT_HUGEPAGE not set (depends on BROKEN)', source: 'untestable' },
    { commit: CULPRIT, verdict: 'bad', reason: 'test reported bad: 17 mismatches', source: 'probe', evidence: 'test-culprit', buildEvidence: 'build-culprit' },
  ],
};

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? ''));

describe('the report as a mail', () => {
  it('is an mbox message with encoded headers, get_maintainer recipients, and the tag lines', async () => {
    // A subject with non-ASCII and an escape sequence, an author name with non-ASCII: as commit messages may have them.
    const view: BisectionView = {
      ...base, status: 'found', culprit: CULPRIT, verification: { culprit: { outcome: 'confirmed', runs: 1, failures: 1 }, parents: { outcome: 'confirmed', runs: 1, failures: 0 } },
      commits: [{ sha: CULPRIT, subject: 'mm/memory: let fork share pages – without \u001b[31mDMA\u001b[0m pin checks', authorName: 'Jérôme Glisse', authorEmail: 'jglisse@example.org', authorDate: '2022-04-15T09:00:00Z' }],
    };
    const text = formatMail(view, folded([facts(['Andrew Morton <akpm@linux-foundation.org>', 'Zoë Maintainer <zoe@example.org>', 'linux-mm@kvack.org', 'linux-kernel@vger.kernel.org'])]), {
      baseUrl: BASE, from: 'Ada Bisect <ada@example.org>', cc: ['extra@example.org'], inReplyTo: '<20160428.abc@example.org>',
    });
    expect(text.split('\n')[0]).toBe('From ada@example.org Mon Nov 30 09:15:42 2026');
    const [head = '', bodyText = ''] = text.split('\n\n', 2);
    for (const line of head.split('\n')) expect(line.length).toBeLessThanOrEqual(78);
    for (const line of bodyText.split('\n')) {
      expect([...line].filter((ch) => (ch < ' ' && ch !== '\t') || ch === '\u007f')).toEqual([]);
      // Only lines that are one long token (a URL) or a trailer may pass 72 columns.
      if (line.length > 72) expect(line.trim()).toMatch(/^(\S+: )?\S+$|^Fixes: /);
    }
    const raw = text.slice(text.indexOf('\n') + 1);
    expect(raw).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('[kbisect] regression bisected to: mm/memory: let fork share pages – without [31mDMA[0m pin checks');
    expect(addresses(mail.to)).toEqual(['akpm@linux-foundation.org', 'zoe@example.org']);
    expect((Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[1]?.name).toBe('Zoë Maintainer');
    expect(addresses(mail.cc)).toEqual(['linux-mm@kvack.org', 'linux-kernel@vger.kernel.org', REGRESSIONS_LIST, 'extra@example.org']);
    expect(mail.from?.value[0]).toMatchObject({ name: 'Ada Bisect', address: 'ada@example.org' });
    expect(mail.inReplyTo).toBe('<20160428.abc@example.org>');
    expect(mail.references).toBe('<20160428.abc@example.org>');
    expect(mail.messageId).toBe(`<kbisect.${ID}@kbisect.example.org>`);
    expect(mail.date?.toISOString()).toBe('2026-11-30T09:15:42.000Z');
    const body = mail.text ?? '';
    expect(body).toContain(`  commit ${CULPRIT}`);
    expect(body).toContain('  Author: Jérôme Glisse <jglisse@example.org>');
    expect(body).toContain('Reported-by: Ada Bisect <ada@example.org>\nCloses: https://lore.kernel.org/r/20160428.abc@example.org\n');
    expect(body).toContain(`Link: ${BASE}/api/v1/bisections/${ID}\n`);
    expect(body).toContain(`Fixes: ${CULPRIT.slice(0, 12)} ("mm/memory: let fork share pages – without [31mDMA[0m pin checks")`);
    expect(body).toMatch(new RegExp(`^#regzbot introduced: ${CULPRIT.slice(0, 12)}$`, 'm'));
    const flat = body.replace(/\n\s+/g, ' ');
    expect(flat).toContain(`git bisect log: ${BASE}/api/v1/bisections/${ID}/log`);
    expect(flat).toContain(`evidence 555555555555: ${BASE}/api/v1/bisections/${ID}/evidence/test-culprit`);
    expect(body).toContain('kernel config fragments: base, vfio');
    expect(body).toContain('required symbols: CONFIG_TRANSPARENT_HUGEPAGE CONFIG_VFIO');
    expect(body).toContain('compiler: gcc-12-12.2.0');
    expect(body).toContain('reproducer: vfio-pin-check --mode=fork --pages=512');
    expect(body).toContain('its parent(s) stay clean: yes (0 of 1 run fail)');
    expect(flat).toMatch(/Untestable stretch: 2 commits cannot exercise the bug[\s\S]*depends on BROKEN/);
    expect(body).toMatch(/Tested commits \(2\):\n {2}222222222222 good/);
  });

  it('names the range when ambiguous: "could be any of", the range in the subject and in #regzbot', async () => {
    const view: BisectionView = {
      ...base, status: 'ambiguous', candidates: [B, C, CULPRIT],
      commits: [B, C, CULPRIT].map((s, i) => ({ sha: s, subject: `thp: refcount redesign, part ${i + 1}`, authorName: 'K', authorEmail: 'k@example.org', authorDate: '2022-04-15T09:00:00Z' })),
    };
    // Given newest first, as the engine may list them; the graph's rev-list order puts them oldest first.
    const mail = await simpleParser(formatMail({ ...view, candidates: [CULPRIT, B, C] }, folded([{ type: 'report-facts', at: '2026-11-30T09:15:41.000Z', recipients: { source: 'get_maintainer', commits: [B, C, CULPRIT], addresses: ['Andrew Morton <akpm@linux-foundation.org>', 'linux-mm@kvack.org'] } }]), { baseUrl: BASE, from: 'ada@example.org', order: [BAD, CULPRIT, C, B, A] }));
    expect(mail.subject).toBe('[kbisect] regression bisected to one of 3 commits: 333333333333..555555555555');
    expect(addresses(mail.to)).toEqual(['akpm@linux-foundation.org']);
    expect(addresses(mail.cc)).toEqual(['linux-mm@kvack.org', REGRESSIONS_LIST]);
    const body = mail.text ?? '';
    expect(body).toContain('could be any of:');
    expect(body).toContain('  333333333333 thp: refcount redesign, part 1');
    expect(body).toMatch(/^#regzbot introduced: 333333333333\.\.555555555555$/m);
    expect(body).toContain('Reported-by: ada@example.org');
    expect(body).not.toMatch(/^Fixes:/m);
    expect(body.replace(/\n\s+/g, ' ')).toContain('get_maintainer.pl --no-rolestats on 333333333333, 444444444444, 555555555555');
  });

  it('reads as "first fixed by" for a fix bisection, without regression tags', async () => {
    const view: BisectionView = {
      ...base, status: 'found', culprit: CULPRIT, terms: 'fix',
      commits: [{ sha: CULPRIT, subject: 'mm/gup: keep pinned pages exclusive across fork', authorName: 'F', authorEmail: 'f@example.org', authorDate: '2022-04-15T09:00:00Z' }],
    };
    const mail = await simpleParser(formatMail(view, folded([{ type: 'report-facts', at: '2026-11-30T09:15:41.000Z', recipients: { source: 'author-committer', commits: [CULPRIT], addresses: ['F <f@example.org>', 'Committer <c@example.org>'], note: 'the tree has no scripts/get_maintainer.pl' } }]), { baseUrl: BASE, from: 'ada@example.org', to: ['stable@vger.kernel.org'] }));
    expect(mail.subject).toBe('[kbisect] fix bisected to: mm/gup: keep pinned pages exclusive across fork');
    expect(addresses(mail.to)).toEqual(['f@example.org', 'c@example.org', 'stable@vger.kernel.org']);
    expect(addresses(mail.cc)).toEqual([]);
    const body = mail.text ?? '';
    expect(body).toContain('The problem was first fixed by:');
    expect(body).toContain('(broken) and demo-bad (fixed)');
    expect(body.replace(/\n\s+/g, ' ')).toContain('the tree has no scripts/get_maintainer.pl; this goes to the author and committer');
    expect(body).not.toContain('#regzbot');
    expect(body).not.toMatch(/^(Fixes|Reported-by):/m);
    expect(body.replace(/\n\s+/g, ' ')).toContain(`To backport the fix, cherry-pick ${CULPRIT.slice(0, 12)} ("mm/gup: keep pinned pages exclusive across fork").`);
  });

  it('refuses a bad address or Message-ID with the field named', () => {
    const view: BisectionView = { ...base, status: 'found', culprit: CULPRIT };
    expect(() => formatMail(view, folded([]), { baseUrl: BASE, from: 'ada@example.org', cc: ['ok@example.org', 'x@y\nBcc: evil@example.org'] })).toThrow(MailAddressError);
    expect(() => formatMail(view, folded([]), { baseUrl: BASE, from: 'ada@example.org', cc: ['ok@example.org', 'not an address'] })).toThrow(/^cc\[1\]: 'not an address' is not a mail address/);
    expect(() => formatMail(view, folded([]), { baseUrl: BASE, from: 'ada@example.org', inReplyTo: 'no id' })).toThrow(/^inReplyTo: /);
  });

  it('quotes body lines starting with "From " so mbox readers do not split the message', () => {
    const view: BisectionView = { ...base, status: 'found', culprit: CULPRIT, commits: [{ sha: CULPRIT, subject: 'x', authorName: 'From Someone', authorEmail: 'f@example.org', authorDate: 'd' }], repo: 'From here' };
    const text = formatMail(view, folded([]), { baseUrl: BASE, from: 'ada@example.org' });
    expect(text.split('\n').filter((l) => l.startsWith('From '))).toHaveLength(1);
    expect(text).toContain('Recipients: no maintainer lookup was recorded for this bisection.');
  });
});
