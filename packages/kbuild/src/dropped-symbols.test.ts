import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dependsOf, droppedSymbols, explainDropped } from './dropped-symbols.js';

// mm/Kconfig as v4.4 has it, with the 2016 series' BROKEN added.
const MM_KCONFIG = `config TRANSPARENT_HUGEPAGE
	bool "Transparent Hugepage Support"
	depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN
	select COMPACTION
	help
	  Transparent Hugepages allows the kernel to use huge pages

choice
	prompt "Transparent Hugepage Support sysfs defaults"
	depends on TRANSPARENT_HUGEPAGE
`;

describe('explaining what olddefconfig dropped', () => {
  it('lists fragment symbols missing from the final config', () => {
    const fragments = [{ name: 'iommu-vfio', text: 'CONFIG_VFIO=y\nCONFIG_VFIO_PCI=y\n# CONFIG_FOO is not set\n' }];
    expect(droppedSymbols('CONFIG_VFIO=y\n# CONFIG_VFIO_PCI is not set\n', fragments)).toEqual(['CONFIG_VFIO_PCI']);
  });

  it("reads an entry's depends on lines and stops at the next entry", () => {
    expect(dependsOf(MM_KCONFIG, 'TRANSPARENT_HUGEPAGE')).toEqual(['HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN']);
    expect(dependsOf(MM_KCONFIG, 'NOPE')).toEqual([]);
  });

  it('names the Kconfig file and the dependency in a tree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kbisect-kconfig-'));
    try {
      await mkdir(join(dir, 'mm'));
      await writeFile(join(dir, 'mm', 'Kconfig'), MM_KCONFIG);
      expect(await explainDropped(dir, ['CONFIG_TRANSPARENT_HUGEPAGE', 'CONFIG_GONE'])).toEqual([
        'CONFIG_TRANSPARENT_HUGEPAGE (mm/Kconfig: depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN)',
        'CONFIG_GONE (no Kconfig entry at this commit)',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
