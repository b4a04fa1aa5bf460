/**
 * The whole service with build and lab workers, plus a virtual lab (one
 * machine unless asked for more: each its own QEMU guest, ipmi_sim BMC on
 * its own port, console port and PXE dir) registered over the API as pool
 * 'virtual': what the real-kernel end-to-end tests and benches bisect on.
 * ccache lives in CCACHE_DIR (default ~/.cache/kbisect/ccache) so reruns
 * build from warm cache.
 *
 * With `separateLab`, the topology of a real lab (deploy/README.md): the
 * orchestrator and build worker run here, the lab worker is its own process
 * (`node apps/worker/dist/main.js test`, so `npx tsc -b` first) with its own
 * cache dir, and a real artifact store between them is the only way a kernel
 * reaches the lab: no directory of the build host is shared with it.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { startStore, type RunningStore } from '@kbisect/artifact-store';
import { VirtualLab } from '@kbisect/lab';
import { hashToken, newToken } from '@kbisect/service';
import { startHarness, type Harness } from './service-harness.js';

const WORKER_MAIN = resolve(import.meta.dirname, '../../apps/worker/dist/main.js');

export interface KernelLabHarness {
  readonly h: Harness;
  readonly lab: VirtualLab;
  /** With `separateLab`: the lab worker's own cache dir, and its log file (evidence when a test fails). */
  readonly labWorker?: { readonly cacheDir: string; readonly log: string };
  close(): Promise<void>;
}

export interface KernelLabOptions {
  /** Machines in the pool. @defaultValue 1 */
  readonly machines?: number;
  /** Worker settings on top of the defaults (KBISECT_BUILD_JOBS=2, CCACHE_DIR). */
  readonly env?: Readonly<Record<string, string>>;
  /** The lab worker as its own process with its own cache dir, kernels only through a real artifact store. */
  readonly separateLab?: boolean;
}

export async function startKernelLabHarness(label: string, opts: KernelLabOptions = {}): Promise<KernelLabHarness> {
  const ccache = { KBISECT_BUILD_JOBS: '2', CCACHE_DIR: process.env.CCACHE_DIR ?? join(homedir(), '.cache', 'kbisect', 'ccache'), ...opts.env };
  if (!opts.separateLab) {
    const h = await startHarness(label, { roles: ['orchestrator', 'build', 'test'], lockDurationMs: 30_000, env: ccache });
    const lab = await VirtualLab.start({ dir: join(h.cacheDir, 'lab'), machines: opts.machines ?? 1, pool: 'virtual' });
    await registerMachines(h, lab);
    return { h, lab, async close() { await lab.stop(); await h.close(); } };
  }
  const secrets = await mkdtemp(join(tmpdir(), `kbisect-${label}-store-`));
  const tokens = { build: newToken(), lab: newToken() };
  await writeFile(join(secrets, 'store-tokens.json'), JSON.stringify({ tokens: [{ name: 'builder', role: 'build', sha256: hashToken(tokens.build) }, { name: 'lab', role: 'lab', sha256: hashToken(tokens.lab) }] }));
  await writeFile(join(secrets, 'build-token'), tokens.build, { mode: 0o600 });
  await writeFile(join(secrets, 'lab-token'), tokens.lab, { mode: 0o600 });
  const store: RunningStore = await startStore({ dir: join(secrets, 'data'), limitBytes: 4 * 1024 ** 3, host: '127.0.0.1', port: 0, credentialsFile: join(secrets, 'store-tokens.json'), pinTtlHours: 72 });
  const h = await startHarness(label, { roles: ['orchestrator', 'build'], lockDurationMs: 30_000, env: { ...ccache, KBISECT_STORE_URL: store.url, KBISECT_STORE_TOKEN_FILE: join(secrets, 'build-token') } });
  // The machines' files (TFTP root, console, BMC password) are the lab host's, apart from the build host's cache.
  const labCache = await mkdtemp(join(tmpdir(), `kbisect-${label}-lab-`));
  const lab = await VirtualLab.start({ dir: join(labCache, 'machines'), machines: opts.machines ?? 1, pool: 'virtual' });
  await registerMachines(h, lab);
  const log = join(labCache, 'worker.log');
  const env: Record<string, string | undefined> = {
    ...process.env, ...h.env,
    KBISECT_CACHE_DIR: labCache, KBISECT_LAB_ROOTS: labCache,
    KBISECT_STORE_URL: store.url, KBISECT_STORE_TOKEN_FILE: join(secrets, 'lab-token'),
  };
  delete env.CCACHE_DIR;
  const worker = execa('node', [WORKER_MAIN, 'test'], { env, extendEnv: false, reject: false, stdin: 'ignore', cleanup: true, all: true });
  worker.all?.on('data', (d: Buffer) => void appendFile(log, d).catch(() => undefined));
  return {
    h,
    lab,
    labWorker: { cacheDir: labCache, log },
    async close() {
      worker.kill('SIGTERM');
      await worker;
      await lab.stop();
      await h.close();
      await store.close();
      await rm(labCache, { recursive: true, force: true });
      await rm(secrets, { recursive: true, force: true });
    },
  };
}

async function registerMachines(h: Harness, lab: VirtualLab): Promise<void> {
  for (const m of lab.machines) {
    const res = await h.fetchJson('POST', '/api/v1/machines', m);
    if (res.status !== 201) throw new Error(`registering ${m.id} answered ${res.status}`);
  }
}
