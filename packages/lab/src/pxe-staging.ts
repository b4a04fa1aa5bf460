import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LabConfigError, LabInfraError } from './lab-errors.js';
import { macWithHyphens } from './machine.js';
import type { BootFileName } from './boot-http/boot-fetch.js';
import { cmdlineProblem, IPXE_ENTRY_SCRIPT, ipxeTestScript, pxelinuxConfig, type StagedPaths } from './pxe-boot-files.js';

export interface StageRequest {
  readonly tftpRoot: string;
  readonly loader: 'ipxe' | 'pxelinux';
  readonly mac: string;
  /** Names the per-test directory; a plain name. */
  readonly jobId: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly cmdline: string;
  /**
   * The kernel's and initramfs's per-boot HTTP URLs (boot method ipxe-http):
   * the iPXE script fetches them from there and nothing but the script goes
   * under the TFTP root. Absent: both are copied under the TFTP root.
   */
  readonly httpUrls?: Readonly<Record<BootFileName, string>>;
}

export interface StagedBoot {
  readonly dir: string;
  readonly bootScript: string;
  /** Removes the per-test files and this machine's boot script, if it is still ours. */
  remove(): Promise<void>;
}

/**
 * Points the machine's per-MAC boot script at one test's kernel and
 * initramfs: their per-boot HTTP URLs, or copies put under the TFTP root. Files are written under a temporary
 * name and renamed, so a machine that boots early never reads half a file.
 */
export async function stagePxeBoot(req: StageRequest): Promise<StagedBoot> {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(req.jobId) || req.jobId.startsWith('.')) throw new LabConfigError(`job id '${req.jobId}' is not a plain name`, 'jobId');
  const problem = cmdlineProblem(req.cmdline);
  if (problem !== undefined) throw new LabConfigError(`kernel command line ${problem}`, 'cmdline');
  if (req.httpUrls !== undefined && req.loader !== 'ipxe') throw new LabConfigError('only iPXE fetches kernels over HTTP: a pxelinux machine boots with method tftp', 'pxe.method');
  const dir = join(req.tftpRoot, 'kbisect', req.jobId);
  const paths: StagedPaths = req.httpUrls
    ? { kernel: req.httpUrls.vmlinuz, initrd: req.httpUrls['initrd.img'] }
    : { kernel: `/kbisect/${req.jobId}/vmlinuz`, initrd: `/kbisect/${req.jobId}/initrd.img` };
  const mac = macWithHyphens(req.mac);
  const bootScript = req.loader === 'ipxe' ? join(req.tftpRoot, 'kbisect', 'mac', `${mac}.ipxe`) : join(req.tftpRoot, 'pxelinux.cfg', `01-${mac}`);
  const script = req.loader === 'ipxe' ? ipxeTestScript(req.jobId, paths, req.cmdline) : pxelinuxConfig(req.jobId, paths, req.cmdline);
  try {
    if (req.httpUrls === undefined) {
      await mkdir(dir, { recursive: true });
      await copyAtomically(req.kernel, join(dir, 'vmlinuz'));
      await copyAtomically(req.initrd, join(dir, 'initrd.img'));
    }
    if (req.loader === 'ipxe') await writeIfChanged(join(req.tftpRoot, 'boot.ipxe'), IPXE_ENTRY_SCRIPT);
    await writeAtomically(bootScript, script);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (err instanceof LabConfigError) throw err;
    throw new LabInfraError('pxe-staging', `cannot stage the boot files under ${req.tftpRoot}: ${(err as Error).message}`);
  }
  return {
    dir,
    bootScript,
    remove: async () => {
      const current = await readFile(bootScript, 'utf8').catch(() => '');
      if (current.includes(`kbisect job ${req.jobId}\n`)) await rm(bootScript, { force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function copyAtomically(from: string, to: string): Promise<void> {
  await copyFile(from, `${to}.partial`);
  await rename(`${to}.partial`, to);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.partial`, text);
  await rename(`${file}.partial`, file);
}

async function writeIfChanged(file: string, text: string): Promise<void> {
  if ((await readFile(file, 'utf8').catch(() => undefined)) !== text) await writeAtomically(file, text);
}
