import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactCache } from './artifact-cache.js';
import { classifyBuildFailure } from './build-failure.js';
import { configHash, mergeConfigs, missingRequired } from './config-merge.js';
import { loadFragments } from './fragments.js';
import { ccString, kernelVersion, pickToolchain } from './toolchain.js';

describe('config fragments', () => {
  it('merges later assignments over earlier ones and reports required symbols olddefconfig dropped', () => {
    const merged = mergeConfigs('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n', [{ name: 'x', text: 'CONFIG_B=y\n# CONFIG_C is not set\n' }, { name: 'y', text: 'CONFIG_D="s"\n' }]);
    expect(merged).toBe('CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_D="s"\n');
    expect(missingRequired(merged, ['CONFIG_A', 'CONFIG_C', 'CONFIG_E'])).toEqual(['CONFIG_C', 'CONFIG_E']);
    expect(configHash('CONFIG_A=y\nCONFIG_B=y\n')).toBe(configHash('# comment\nCONFIG_B=y\nCONFIG_A=y\n'));
  });
  it('loads the project fragments and refuses paths and missing names', async () => {
    expect((await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp'])).map((f) => f.name)).toEqual(['qemu-x86_64', 'iommu-vfio', 'thp']);
    await expect(loadFragments(['../etc/passwd'])).rejects.toThrow(/config fragment '\.\.\/etc\/passwd': not a fragment name/);
    await expect(loadFragments(['nope'])).rejects.toThrow(/config fragment 'nope': no nope\.config/);
  });
});

describe('toolchains', () => {
  it.each([
    ['4.4', 'gcc-11 -fno-pie -no-pie'],
    ['4.19', 'gcc-11'],
    ['6.1', 'gcc-12'],
  ])('kernel %s builds with %s', (version, cc) => {
    expect(ccString(pickToolchain(version), false)).toBe(cc);
  });
  it('reads the version from a Makefile and keeps ccache in the CC string', () => {
    expect(kernelVersion('VERSION = 4\nPATCHLEVEL = 6\nSUBLEVEL = 0\n')).toBe('4.6');
    expect(ccString(pickToolchain('6.1'), true)).toBe('ccache gcc-12');
  });
});

describe('build failures', () => {
  it.each([
    [{ exitCode: 2, timedOut: false, output: 'CC mm/gup.o\nmm/gup.c:12:1: error: expected ; before }\nmake: *** Error 1' }, 'compile-error', /mm\/gup\.c:12:1: error: expected/],
    [{ exitCode: 2, timedOut: false, output: 'cc1: fatal error: cannot write: No space left on device' }, 'infra', /disk full/],
    [{ exitCode: 2, timedOut: false, output: 'gcc: fatal error: Killed signal terminated program cc1' }, 'infra', /out of memory/],
    [{ timedOut: true, output: '' }, 'infra', /timed out/],
    [{ signal: 'SIGKILL', timedOut: false, output: '' }, 'infra', /killed/],
  ])('%# classifies as %s', (run, kind, reason) => {
    const f = classifyBuildFailure({ ...run, isolation: 'bwrap' });
    expect(f.kind).toBe(kind);
    expect(f.reason).toMatch(reason);
  });
});

describe('artifact cache', () => {
  it('keys by tree, config input, toolchain and fixups, and evicts the least recently used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kbisect-artifacts-'));
    try {
      const files = { bzImage: join(dir, 'bz'), config: join(dir, 'cfg'), systemMap: join(dir, 'map'), log: join(dir, 'log') };
      await writeFile(files.bzImage, 'x'.repeat(1000));
      for (const f of [files.config, files.systemMap, files.log]) await writeFile(f, 'y');
      const cache = new ArtifactCache(join(dir, 'cache'), 2500);
      const key = (tree: string) => ArtifactCache.keyOf({ tree, configInput: 'c', toolchain: 'gcc-12', fixups: [] });
      expect(key('a')).not.toBe(ArtifactCache.keyOf({ tree: 'a', configInput: 'c', toolchain: 'gcc-11', fixups: [] }));
      // A culprit reverted on top is another kernel; no revert keeps the key it always had.
      expect(key('a')).not.toBe(ArtifactCache.keyOf({ tree: 'a', configInput: 'c', toolchain: 'gcc-12', fixups: [], revert: 'f'.repeat(40) }));
      expect(key('a')).toBe(createHash('sha256').update(JSON.stringify(['a', 'c', 'gcc-12', []])).digest('hex'));
      await cache.put(key('a'), files, { n: 1 });
      await new Promise((r) => setTimeout(r, 20));
      await cache.put(key('b'), files, { n: 2 });
      await new Promise((r) => setTimeout(r, 20));
      expect(await cache.get(key('a'))).toBeDefined(); // touch: a is now the most recent
      await new Promise((r) => setTimeout(r, 20));
      await cache.put(key('c'), files, { n: 3 });
      expect(await cache.get(key('b'))).toBeUndefined();
      expect((await readdir(join(dir, 'cache'))).sort()).toEqual([key('a'), key('c')].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('build fixups', () => {
  it('applies a fix only to commits that contain what it fixes and not the fix itself', async () => {
    const { writeGitHistory } = await import('../../../test/support/git-fixture.js');
    const { openRepo, validateRepoSource } = await import('@kbisect/git');
    const { applicableFixups } = await import('./build-kernel.js');
    const linear = { parents: Array.from({ length: 20 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 19 };
    const fx = await writeGitHistory(linear);
    const cache = await mkdtemp(join(tmpdir(), 'kbisect-fixups-'));
    try {
      const repo = await openRepo(validateRepoSource(fx.dir), { cacheDir: cache });
      const fixups = [{ fixes: fx.shas[5]!, fix: fx.shas[12]! }];
      expect(await applicableFixups(repo, fx.shas[3]!, fixups)).toEqual([]);
      expect(await applicableFixups(repo, fx.shas[8]!, fixups)).toEqual([fx.shas[12]]);
      expect(await applicableFixups(repo, fx.shas[15]!, fixups)).toEqual([]);
    } finally {
      await fx.cleanup();
      await rm(cache, { recursive: true, force: true });
    }
  });
});
