import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildInitramfs, INIT_SCRIPT } from '@kbisect/lab';
import { REPRODUCERS, REPRODUCERS_DIR, type ReproducerDefinition } from './reproducer-catalog.js';

export class ReproducerError extends Error {
  readonly code = 'KBISECT_ERR_REPRODUCER';
  readonly category = 'configuration' as const;
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'ReproducerError';
  }
}

export function findReproducer(name: string, args: readonly string[]): ReproducerDefinition {
  const r = REPRODUCERS.get(name);
  if (!r) throw new ReproducerError(`unknown reproducer '${name}' (known: ${[...REPRODUCERS.keys()].join(', ')})`, 'probe.reproducer.name');
  const problem = r.argsProblem(args);
  if (problem !== undefined) throw new ReproducerError(problem, 'probe.reproducer.args');
  return r;
}

async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Builds a reproducer's static binary with its Makefile (make is incremental). */
export async function buildReproducerBinary(r: ReproducerDefinition): Promise<string | undefined> {
  if (!r.binary) return undefined;
  const dir = join(REPRODUCERS_DIR, r.binary.dir);
  const made = await execa('make', ['-s', '-C', dir, r.binary.file], { reject: false, all: true, timeout: 300_000 });
  if (made.exitCode !== 0) throw new ReproducerError(`building reproducer '${r.name}' failed: ${String(made.all).slice(-2000)}`);
  return join(dir, r.binary.file);
}

/**
 * The initramfs for one reproducer run: cached under `cacheDir/initramfs`
 * by the hash of everything in it (init, script, binary, the kernel's
 * modules, busybox), so every step with the same kernel modules reuses it.
 */
export async function prepareInitramfs(name: string, args: readonly string[], opts: { cacheDir: string; modulesTar?: string; busybox?: string }): Promise<{ path: string; fromCache: boolean; key: string }> {
  const r = findReproducer(name, args);
  const binary = await buildReproducerBinary(r);
  const busybox = opts.busybox ?? '/bin/busybox';
  const script = r.script(args);
  const key = createHash('sha256')
    .update(JSON.stringify([INIT_SCRIPT, r.name, script, binary ? await fileHash(binary) : null, opts.modulesTar ? await fileHash(opts.modulesTar) : null, await fileHash(busybox).catch(() => busybox)]))
    .digest('hex')
    .slice(0, 24);
  const dir = join(opts.cacheDir, 'initramfs');
  const path = join(dir, `${r.name}-${key}.cpio.gz`);
  if (await stat(path).then(() => true, () => false)) return { path, fromCache: true, key };
  await mkdir(dir, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await buildInitramfs(partial, { [r.name]: script }, {
    busybox,
    ...(binary && r.binary ? { files: [{ from: binary, to: r.binary.installAs }] } : {}),
    ...(opts.modulesTar ? { modulesTar: opts.modulesTar } : {}),
  });
  await rename(partial, path);
  return { path, fromCache: false, key };
}
