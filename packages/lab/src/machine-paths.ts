import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { LabConfigError } from './lab-errors.js';
import type { MachineSpec } from './machine.js';

/** The worker-side files a machine spec names, by what they are (never by path in messages: readers see them). */
export function machineFiles(spec: MachineSpec): { what: string; path: string; mayNotExist: boolean }[] {
  return [
    ...('file' in spec.bmc.password ? [{ what: 'BMC password file', path: spec.bmc.password.file, mayNotExist: false }] : []),
    ...(spec.console.type === 'file' ? [{ what: 'console file', path: spec.console.path, mayNotExist: true }] : []),
    { what: 'TFTP root', path: spec.pxe.tftpRoot, mayNotExist: false },
  ];
}

/** Whether `path` is `root` or below it (both absolute and resolved). */
export function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function resolved(path: string, mayNotExist: boolean): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    // A console file a console server has not created yet: its directory must be under a root.
    if (mayNotExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return join(await realpath(dirname(path)).catch(() => resolve(dirname(path))), basename(path));
    return resolve(path);
  }
}

/**
 * Refuses a machine whose password file, console file or TFTP root lies
 * outside the roots this lab worker allows (KBISECT_LAB_ROOTS), symlinks
 * resolved: a registered machine must not make the worker read or write
 * any file it can reach. The message names the machine and the kind of
 * file, never the path (bisection errors are shown to every reader).
 */
export async function assertMachinePaths(spec: MachineSpec, roots: readonly string[]): Promise<void> {
  const real = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))));
  for (const file of machineFiles(spec)) {
    const path = await resolved(file.path, file.mayNotExist);
    if (!real.some((root) => isUnder(path, root))) {
      throw new LabConfigError(`machine ${spec.id}: its ${file.what} is outside the lab roots this worker allows (KBISECT_LAB_ROOTS); an operator must move it or allow its directory`, 'machine');
    }
  }
}
