import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openRepo, validateRepoSource, type GitRepo } from '@kbisect/git';
import { createDemoRepository, type DemoRepository } from '../../../apps/cli/src/demo-repository.js';
import { evaluate, parseExpr } from './kconfig-expr.js';
import { parseKconfig } from './kconfig-file.js';
import { writeStretchRepo } from '../../../test/support/thp-stretch-fixture.js';
import { probeUntestable, symbolNames, type RevisionReader } from './kconfig-probe.js';

// Counts git calls (each reader method is one) and blobs read.
function countingReader(repo: GitRepo, counts: { calls: number; blobs: number }): RevisionReader {
  return {
    findSymbolFiles: (sha, names) => (counts.calls++, repo.findSymbolFiles(sha, names)),
    blobIdsAt: (commits, paths) => (counts.calls++, repo.blobIdsAt(commits, paths)),
    readBlobs: (ids) => ((counts.calls++, (counts.blobs += ids.length)), repo.readBlobs(ids)),
  };
}

// The truth, from mm/Kconfig read at every commit.
async function truth(repo: GitRepo, commits: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const sha of commits) if ((await repo.readFileAt(sha, 'mm/Kconfig'))!.includes('&& BROKEN')) out.push(sha);
  return out;
}

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
  let counts = { calls: 0, blobs: 0 };
  beforeEach(() => {
    counts = { calls: 0, blobs: 0 };
  });

  it('marks exactly the commits where THP depends on BROKEN, in three git calls, parsing each distinct blob once', async () => {
    const graph = await repo.readGraph(demo.bad, [demo.good]);
    const untestable = await probeUntestable(countingReader(repo, counts), { graph, bad: demo.bad, goods: [demo.good], required: ['CONFIG_TRANSPARENT_HUGEPAGE'] });
    expect(Object.keys(untestable).sort()).toEqual((await truth(repo, graph.commits)).sort());
    expect(Object.keys(untestable)).toHaveLength(11);
    expect(Object.values(untestable)[0]).toBe('CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN at this commit (mm/Kconfig)');
    expect(counts).toEqual({ calls: 3, blobs: 2 });
  });

  it.each(['side', 'first-parent'] as const)('judges every commit right with the BROKEN stretch on a merged %s line', async (shape) => {
    const fx = await writeStretchRepo(shape);
    try {
      const stretchRepo = await openRepo(validateRepoSource(fx.dir), { cacheDir: join(dir, 'cache') });
      const graph = await stretchRepo.readGraph(fx.bad, [fx.good]);
      const untestable = await probeUntestable(countingReader(stretchRepo, counts), { graph, bad: fx.bad, goods: [fx.good], required: ['CONFIG_TRANSPARENT_HUGEPAGE'] });
      expect(Object.keys(untestable).sort()).toEqual([...fx.stretch].sort());
      expect(Object.keys(untestable).sort()).toEqual((await truth(stretchRepo, graph.commits)).sort());
      expect(counts).toEqual({ calls: 3, blobs: 2 });
    } finally {
      await fx.cleanup();
    }
  });

  it('says when a required symbol does not exist', async () => {
    const graph = await repo.readGraph(demo.bad, [demo.good]);
    const untestable = await probeUntestable(repo, { graph, bad: demo.bad, goods: [demo.good], required: ['CONFIG_VFIO_PCI'] });
    expect(Object.keys(untestable)).toHaveLength(graph.commits.length);
    expect(Object.values(untestable)[0]).toMatch(/^CONFIG_VFIO_PCI is not defined at this commit/);
  });
});
