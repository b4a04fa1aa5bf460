/**
 * The maintainer lookup against real programs: the real get_maintainer.pl
 * of linux-source-6.1 on the demo fixture's culprit
 * (reproducers/scripts/make-vfio-demo-fixture.sh, cached after the first
 * run), its mail checked with a mail parser and by `git send-email
 * --dry-run` (nothing is sent: a dry run never connects). Skipped, saying
 * why, only when linux-source-6.1 is not installed. A tree without the
 * script is a small real repository and always runs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepo, validateRepoSource, type GitRepo } from '@kbisect/git';
import { REGRESSIONS_LIST, foldAll, formatMail, parseAddress, type BisectionView, type LogEvent } from '@kbisect/service';
import { openSandbox, unavailableSandbox, type Sandbox } from '@kbisect/sandbox';
import { lookUpMaintainers } from './maintainers.js';

const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };
const haveSource = existsSync('/usr/src/linux-source-6.1.tar.xz');
const ID = '7d0c6a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
const emails = (a: AddressObject | AddressObject[] | undefined): string[] => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? ''));

let scratch: string;
// The tree's script runs in the real bwrap sandbox, as on a worker.
let sandbox: Sandbox;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kbisect-maint-'));
  const opened = await openSandbox('on', 'kbisect-sandbox');
  expect(opened.status, 'reason' in opened ? opened.reason : '').toBe('ready');
  sandbox = opened.sandbox;
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe.skipIf(!haveSource)(`get_maintainer.pl of linux-source-6.1 on the demo culprit${haveSource ? '' : ' (skipped: /usr/src/linux-source-6.1.tar.xz is not installed; scripts/setup installs it)'}`, () => {
  let fixture: string;
  let repo: GitRepo;
  beforeAll(async () => {
    fixture = (await execa(resolve(import.meta.dirname, '../../../reproducers/scripts/make-vfio-demo-fixture.sh'))).stdout.trim();
    repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(scratch, 'cache') });
  }, 900_000);

  it('the mail goes to exactly what the script prints plus the regressions list, and git send-email --dry-run takes it', async () => {
    const culprit = (await execa('git', ['-C', fixture, 'rev-parse', 'demo-culprit^{commit}'])).stdout.trim();
    // The expectation, independently: the tree's own script in the fixture's checkout, whose MAINTAINERS,
    // .mailmap and script equal the culprit's (checked), on git format-patch of the culprit.
    await execa('git', ['-C', fixture, 'diff', '--quiet', culprit, 'HEAD', '--', 'MAINTAINERS', '.mailmap', 'scripts/get_maintainer.pl']);
    const patch = (await execa('git', ['-C', fixture, 'format-patch', '-1', '--stdout', culprit], { stripFinalNewline: false })).stdout;
    const printed = (await execa('perl', ['scripts/get_maintainer.pl', '--no-rolestats'], { cwd: fixture, input: patch })).stdout.split('\n').filter((l) => l.trim() !== '');
    expect(printed.length).toBeGreaterThan(0);

    const started = performance.now();
    const recipients = await lookUpMaintainers(repo, [culprit], { scratchDir: scratch, sandbox });
    const seconds = (performance.now() - started) / 1000;
    console.log(`maintainer lookup on the kernel fixture (worktree of directories + get_maintainer.pl + removal): ${seconds.toFixed(1)} s`);
    expect(recipients).toEqual({ source: 'get_maintainer', commits: [culprit], addresses: printed });
    expect(await execa('git', ['--git-dir', repo.gitDir, 'worktree', 'list', '--porcelain']).then((r) => r.stdout.split('\n').filter((l) => l.startsWith('worktree ')).length)).toBe(1);

    const info = (await repo.commitInfo([culprit])).get(culprit)!;
    const view: BisectionView = {
      id: ID, status: 'found', culprit, steps: 1, repo: fixture, good: ['v6.1-base'], bad: 'demo-bad', createdAt: '2026-11-30T08:00:00.000Z', submittedBy: 'test',
      verdicts: [{ commit: culprit, verdict: 'bad', reason: 'test reported bad', source: 'probe' }], commits: [{ sha: culprit, ...info }],
    };
    const log: LogEvent[] = [
      { type: 'created', at: '2026-11-30T08:00:00.000Z', by: 'test', request: { repo: fixture, good: ['v6.1-base'], bad: 'demo-bad', probe: { type: 'kernel', configFragments: ['qemu-vfio'], pool: 'qemu', reproducer: { name: 'vfio-pin-check', args: ['--mode=fork'] } } } },
      { type: 'report-facts', at: '2026-11-30T09:00:00.000Z', recipients },
      { type: 'finished', at: '2026-11-30T09:00:01.000Z', status: 'found', culprit },
    ];
    const mbox = formatMail(view, foldAll(undefined, log), { baseUrl: 'http://127.0.0.1:8080', from: 'kbisect <kbisect@example.org>' });
    const mail = await simpleParser(mbox.slice(mbox.indexOf('\n') + 1));
    const expected = [...printed.map((l) => parseAddress(l, 'printed').email), REGRESSIONS_LIST];
    expect([...emails(mail.to), ...emails(mail.cc)].sort()).toEqual(expected.sort());
    expect(mail.subject).toBe('[kbisect] regression bisected to: mm/memory: let fork share anonymous pages without checking for DMA pins');

    // git send-email reads To/Cc from the file; body trailers (Reported-by: …) are not turned into Cc.
    const file = join(scratch, 'report.mbox');
    await writeFile(file, mbox);
    // --suppress-cc=self: the sender (From:, and the Reported-by: trailer naming it) is not a recipient.
    const sent = await execa('git', [
      'send-email', '--dry-run', '--confirm=never', '--no-validate', '--suppress-cc=self', '--smtp-server=/nonexistent/sendmail', '--from=kbisect <kbisect@example.org>', file,
    ], { cwd: scratch, env: { ...GIT_ENV, HOME: scratch }, reject: false, stdin: 'ignore', timeout: 60_000 });
    expect(sent.exitCode, `${sent.stdout}\n${sent.stderr}`).toBe(0);
    expect(sent.stdout).toContain('Result: OK');
    // A dry run prints the sendmail command it would have run: its arguments after -i are the envelope recipients.
    const rcpt = /^Sendmail: \/nonexistent\/sendmail -i (.*)$/m.exec(sent.stdout)?.[1]?.split(' ') ?? [];
    expect(rcpt.sort()).toEqual(expected.sort());
    expect(sent.stdout).toContain('Subject: [kbisect] regression bisected to: mm/memory: let fork share anonymous pages');
  }, 300_000);
});

describe('a tree whose scripts/get_maintainer.pl is hostile', () => {
  it('runs confined: it sees no worker secret and no network, and a refusing sandbox falls back to authors', async () => {
    const dir = join(scratch, 'hostile');
    const secret = `kbisect-maint-secret-${process.pid}`;
    await execa('git', ['init', '-q', '-b', 'main', dir], { env: GIT_ENV });
    await execa('mkdir', ['-p', join(dir, 'scripts')]);
    // Prints what it can learn as "addresses": the environment, a root-only file, a network attempt.
    await writeFile(join(dir, 'scripts', 'get_maintainer.pl'), [
      'print "env:$_=$ENV{$_}\\n" for sort keys %ENV;',
      `print "file:", (open(my $f, "<", ${JSON.stringify(join(scratch, 'secret-file'))}) ? <$f> : "unreadable"), "\\n";`,
      'use IO::Socket::INET; my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => 22, Timeout => 2); print "net:", ($s ? "connected" : "none"), "\\n";',
      'print "Evil Maintainer <evil\\@example.org>\\n";',
    ].join('\n'));
    await writeFile(join(scratch, 'secret-file'), secret, { mode: 0o600 });
    await execa('git', ['-C', dir, 'add', '-A'], { env: GIT_ENV });
    await execa('git', ['-C', dir, 'commit', '-q', '-m', 'hostile'], { env: { ...GIT_ENV, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.org' } });
    const sha = (await execa('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
    const repo = await openRepo(validateRepoSource(dir), { cacheDir: join(scratch, 'cache-hostile') });
    process.env.KBISECT_TEST_SECRET = secret;
    try {
      const got = await lookUpMaintainers(repo, [sha], { scratchDir: scratch, sandbox });
      expect(got.source, got.note).toBe('get_maintainer');
      expect(got.addresses).toContain('Evil Maintainer <evil@example.org>');
      expect(got.addresses).toContain('file:unreadable');
      expect(got.addresses).toContain('net:none');
      expect(got.addresses.filter((a) => a.startsWith('env:')).map((a) => a.slice(4).split('=')[0]).sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH', 'PWD', 'TMPDIR']);
      expect(JSON.stringify(got)).not.toContain(secret);
    } finally {
      delete process.env.KBISECT_TEST_SECRET;
    }
    expect(await lookUpMaintainers(repo, [sha], { scratchDir: scratch, sandbox: unavailableSandbox('no user namespaces') })).toMatchObject({
      source: 'author-committer', addresses: ['A <a@example.org>', 'C <c@example.org>'], note: expect.stringContaining('was not run: the build/test sandbox is unavailable on this worker (no user namespaces)'),
    });
  });
});

describe('a tree without scripts/get_maintainer.pl', () => {
  it('falls back to the culprit author and committer, and says so', async () => {
    const dir = join(scratch, 'plain');
    await execa('git', ['init', '-q', '-b', 'main', dir], { env: GIT_ENV });
    await writeFile(join(dir, 'file.c'), 'int x;\n');
    await execa('git', ['-C', dir, 'add', '-A'], { env: GIT_ENV });
    await execa('git', ['-C', dir, 'commit', '-q', '-m', 'add file'], {
      env: { ...GIT_ENV, GIT_AUTHOR_NAME: 'Ann Author', GIT_AUTHOR_EMAIL: 'ann@example.org', GIT_COMMITTER_NAME: 'Carl Committer', GIT_COMMITTER_EMAIL: 'carl@example.org' },
    });
    const sha = (await execa('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
    const repo = await openRepo(validateRepoSource(dir), { cacheDir: join(scratch, 'cache-plain') });
    expect(await lookUpMaintainers(repo, [sha], { scratchDir: scratch, sandbox })).toEqual({
      source: 'author-committer', commits: [sha], addresses: ['Ann Author <ann@example.org>', 'Carl Committer <carl@example.org>'], note: 'the tree has no scripts/get_maintainer.pl',
    });
  });

  it('asks nobody when too many candidates are left', async () => {
    const shas = Array.from({ length: 9 }, (_, i) => String(i + 1).repeat(40));
    const never = () => Promise.reject(new Error('git must not run'));
    const repo = { readFileAt: never, addEmptyWorktree: never, directoriesAt: never, formatPatch: never, authorAndCommitter: never };
    expect(await lookUpMaintainers(repo, shas, { scratchDir: scratch, sandbox })).toMatchObject({ source: 'none', addresses: [], note: '9 candidate commits are left; get_maintainer.pl runs for at most 8' });
  });
});
