import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReproducer, prepareInitramfs, ReproducerError } from './initramfs-cache.js';
import { hostModulesTarball, moduleClosure } from './host-modules.js';
import { REPRODUCERS_DIR } from './reproducer-catalog.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-repro-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('vfio-pin-check', () => {
  it("builds static and passes its own argument tests (make check)", async () => {
    const r = await execa('make', ['-s', '-C', join(REPRODUCERS_DIR, 'vfio-pin-check'), 'check'], { reject: false, all: true });
    expect(r.all).toContain('all argument tests passed');
    expect(r.exitCode).toBe(0);
    const file = await execa('file', [join(REPRODUCERS_DIR, 'vfio-pin-check', 'vfio-pin-check')], { reject: false });
    if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/);
  }, 120_000);
});

describe('the reproducer catalog', () => {
  it.each([
    ['an unknown reproducer', 'fuzz', [], 'probe.reproducer.name'],
    ['an option it does not know', 'vfio-pin-check', ['--rm-rf'], 'probe.reproducer.args'],
    ['a shell word smuggled into a value', 'vfio-pin-check', ['--mode=thp;reboot'], 'probe.reproducer.args'],
    ['arguments to boot', 'boot', ['--x'], 'probe.reproducer.args'],
  ])('refuses %s, naming the field', (_name, name, args, field) => {
    const err = (() => {
      try {
        findReproducer(name, args);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ReproducerError);
    expect((err as ReproducerError).field).toBe(field);
  });

  it('caches an initramfs by content: same inputs, same file; other args, another file', async () => {
    const a = await prepareInitramfs('vfio-pin-check', ['--mode=thp', '--seconds=5'], { cacheDir: dir });
    const b = await prepareInitramfs('vfio-pin-check', ['--mode=thp', '--seconds=5'], { cacheDir: dir });
    const c = await prepareInitramfs('vfio-pin-check', ['--mode=fork', '--seconds=5'], { cacheDir: dir });
    expect(a.fromCache).toBe(false);
    expect(b).toEqual({ ...a, fromCache: true });
    expect(c.path).not.toBe(a.path);
    const listing = (await execa('sh', ['-c', 'gzip -dc "$1" | cpio -t --quiet', 'sh', a.path])).stdout.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['init', 'bin/busybox', 'bin/vfio-pin-check', 'tests/vfio-pin-check']));
  }, 120_000);
});

describe('modules for a distribution kernel', () => {
  it('follows modules.dep, dependencies first', () => {
    const dep = 'kernel/a/vfio-pci.ko: kernel/a/vfio-pci-core.ko kernel/b/vfio.ko\nkernel/a/vfio-pci-core.ko: kernel/b/vfio.ko kernel/c/irqbypass.ko\nkernel/b/vfio.ko:\nkernel/c/irqbypass.ko:\nkernel/d/other.ko:\n';
    expect(moduleClosure(dep, ['vfio_pci'])).toEqual(['kernel/b/vfio.ko', 'kernel/c/irqbypass.ko', 'kernel/a/vfio-pci-core.ko', 'kernel/a/vfio-pci.ko']);
    expect(() => moduleClosure(dep, ['nope'])).toThrow(/nope is not in modules.dep/);
  });

  const version = existsSync('/lib/modules') ? readdirSync('/lib/modules')[0] : undefined;
  it.skipIf(!version)("packs the Debian kernel's vfio modules under lib/modules/<version>", async () => {
    const out = join(dir, 'mods.tgz');
    const files = await hostModulesTarball(version!, ['vfio-pci', 'vfio_iommu_type1'], out);
    expect(files).toEqual(expect.arrayContaining([expect.stringMatching(/vfio-pci\.ko/), expect.stringMatching(/vfio_iommu_type1\.ko/)]));
    const listing = (await execa('tar', ['-tzf', out])).stdout.split('\n');
    expect(listing).toContain(`lib/modules/${version}/modules.dep`);
    expect(listing.some((l) => l.endsWith('vfio-pci.ko'))).toBe(true);
  });
});
