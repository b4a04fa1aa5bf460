import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepo, validateRepoSource, type GitRepo } from '@kbisect/git';
import { createDemoRepository, type DemoRepository } from '../../../apps/cli/src/demo-repository.js';
import { evaluate, parseExpr } from './kconfig-expr.js';
import { parseKconfig } from './kconfig-file.js';
import { probeUntestable, symbolNames } from './kconfig-probe.js';

describe('Kconfig expressions', () => {
  it.each([
    ['HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN', 'n'],
    ['HAVE_ARCH_TRANSPARENT_HUGEPAGE', 'maybe'],
    ['X86 || BROKEN', 'maybe'],
    ['!BROKEN', 'y'],
    ['(A || B) && !(C && BROKEN)', 'maybe'],
    ['BROKEN = y', 'n'],
    ['BROKEN != n', 'n'],
    ['m', 'y'],
  ])('%s → %s', (text, want) => {
    expect(evaluate(parseExpr(text, 't'), (n) => (n === 'BROKEN' ? 'n' : 'maybe'))).toBe(want);
  });
  it('names the file and line of a dependency it cannot read', () => {
    expect(() => parseExpr('A && && B', 'mm/Kconfig:7')).toThrow(/mm\/Kconfig:7: unexpected '&&'/);
    expect(() => parseExpr('(A || B', 'mm/Kconfig:9')).toThrow(/mm\/Kconfig:9/);
  });
});

describe('Kconfig files', () => {
  it('applies if/menu dependencies to the symbols inside and skips help text', () => {
    const text = `menu "Memory"\n\tdepends on MMU\n\nif BROKEN\nconfig FOO\n\tbool "foo"\n\thelp\n\t  config BAR is not a symbol in help\n\t  depends on nothing\nendif\n\nconfig BAR\n\ttristate "bar"\n\tdepends on FOO || X86\n\tdefault y\nendmenu\n`;
    const syms = parseKconfig(text, 'mm/Kconfig');
    expect([...syms.keys()]).toEqual(['FOO', 'BAR']);
    expect(syms.get('FOO')!.dependsOn).toHaveLength(2);
    expect(syms.get('BAR')).toMatchObject({ prompt: true, hasDefault: true, line: 12 });
  });
  it('refuses a file it cannot parse, naming it', () => {
    expect(() => parseKconfig('config FOO\n\tbool\nendif\n', 'mm/Kconfig')).toThrow(/mm\/Kconfig:3: 'endif' without a matching 'if'/);
    expect(() => parseKconfig('frobnicate\n', 'arch/Kconfig')).toThrow(/arch\/Kconfig:1: unknown keyword 'frobnicate'/);
  });
  it('refuses required symbols that are not symbol names', () => {
    expect(() => symbolNames(['CONFIG_THP', 'THP'])).toThrow(/'THP' is not a kernel config symbol/);
    expect(() => symbolNames(['CONFIG_$(shell rm -rf /)'])).toThrow(/not a kernel config symbol/);
  });
});

describe('the cheap probe on a real history', () => {
  let dir: string;
  let demo: DemoRepository;
  let repo: GitRepo;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-kconfig-'));
    demo = await createDemoRepository(join(dir, 'linux'));
    repo = await openRepo(validateRepoSource(demo.dir), { cacheDir: join(dir, 'cache') });
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('marks exactly the commits where THP depends on BROKEN, reading only commits that touch mm/Kconfig', async () => {
    const graph = await repo.readGraph(demo.bad, [demo.good]);
    let reads = 0;
    const counting = { ...repo, readFileAt: (sha: string, path: string) => (reads++, repo.readFileAt(sha, path)), findSymbolFiles: repo.findSymbolFiles.bind(repo), logTouching: repo.logTouching.bind(repo) };
    const untestable = await probeUntestable(counting, { graph, bad: demo.bad, goods: [demo.good], required: ['CONFIG_TRANSPARENT_HUGEPAGE'] });
    // The truth, from the files themselves at every commit.
    const expected: string[] = [];
    for (const sha of graph.commits) if ((await repo.readFileAt(sha, 'mm/Kconfig'))!.includes('&& BROKEN')) expected.push(sha);
    expect(Object.keys(untestable).sort()).toEqual(expected.sort());
    expect(expected.length).toBe(11);
    expect(Object.values(untestable)[0]).toBe('CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN at this commit (mm/Kconfig)');
    expect(reads).toBeLessThanOrEqual(4);
  });

  it('says when a required symbol does not exist', async () => {
    const graph = await repo.readGraph(demo.bad, [demo.good]);
    const untestable = await probeUntestable(repo, { graph, bad: demo.bad, goods: [demo.good], required: ['CONFIG_VFIO_PCI'] });
    expect(Object.keys(untestable)).toHaveLength(graph.commits.length);
    expect(Object.values(untestable)[0]).toMatch(/^CONFIG_VFIO_PCI is not defined at this commit/);
  });
});
