import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { ReproducerError } from './initramfs-cache.js';

/** Modules the vfio reproducer needs when the kernel builds VFIO as modules (Debian's does). */
export const VFIO_MODULES = ['vfio-pci', 'vfio_iommu_type1'];

/**
 * Pure: the modules.dep closure of `wanted` (names with - or _), as paths
 * relative to the modules directory, dependencies first.
 */
export function moduleClosure(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const [path, rest] = line.split(':');
    if (!path || rest === undefined) continue;
    deps.set(path, rest.trim().split(/\s+/).filter(Boolean));
    byName.set(path.replace(/^.*\//, '').replace(/\.ko(?:\.[a-z]+)?$/, '').replace(/-/g, '_'), path);
  }
  const out: string[] = [];
  const visit = (path: string): void => {
    if (out.includes(path)) return;
    for (const d of deps.get(path) ?? []) visit(d);
    out.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(name.replace(/-/g, '_'));
    if (!path) throw new ReproducerError(`module ${name} is not in modules.dep`);
    visit(path);
  }
  return out;
}

/**
 * A tarball of `lib/modules/<version>` holding only the given modules and
 * what they depend on, plus the index files modprobe reads: for booting a
 * distribution kernel (Debian's linux-image-amd64) with the test initramfs.
 */
export async function hostModulesTarball(version: string, wanted: readonly string[], outFile: string, modulesRoot = '/lib/modules'): Promise<string[]> {
  const base = join(modulesRoot, version);
  const dep = await readFile(join(base, 'modules.dep'), 'utf8').catch(() => {
    throw new ReproducerError(`no ${base}/modules.dep: is the kernel's package installed?`);
  });
  const files = moduleClosure(dep, wanted);
  const indexes = ['modules.dep', 'modules.alias', 'modules.symbols', 'modules.builtin', 'modules.order'];
  const present: string[] = [];
  for (const f of indexes) if (await stat(join(base, f)).then(() => true, () => false)) present.push(f);
  // The tarball unpacks at the initramfs root as lib/modules/<version>/….
  await execa('tar', ['-czf', outFile, '-C', base, '--transform', `s,^,lib/modules/${version}/,`, ...present, ...files]);
  return files;
}
