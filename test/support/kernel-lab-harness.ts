/**
 * The whole service with build and lab workers, plus a virtual lab (one
 * machine unless asked for more: each its own QEMU guest, ipmi_sim BMC on
 * its own port, console port and PXE dir) registered over the API as pool
 * 'virtual': what the real-kernel end-to-end tests and benches bisect on.
 * ccache lives in CCACHE_DIR (default ~/.cache/kbisect/ccache) so reruns
 * build from warm cache.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VirtualLab } from '@kbisect/lab';
import { startHarness, type Harness } from './service-harness.js';

export interface KernelLabHarness {
  readonly h: Harness;
  readonly lab: VirtualLab;
  close(): Promise<void>;
}

export interface KernelLabOptions {
  /** Machines in the pool. @defaultValue 1 */
  readonly machines?: number;
  /** Worker settings on top of the defaults (KBISECT_BUILD_JOBS=2, CCACHE_DIR). */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startKernelLabHarness(label: string, opts: KernelLabOptions = {}): Promise<KernelLabHarness> {
  const h = await startHarness(label, {
    roles: ['orchestrator', 'build', 'test'],
    lockDurationMs: 30_000,
    env: { KBISECT_BUILD_JOBS: '2', CCACHE_DIR: process.env.CCACHE_DIR ?? join(homedir(), '.cache', 'kbisect', 'ccache'), ...opts.env },
  });
  const lab = await VirtualLab.start({ dir: join(h.cacheDir, 'lab'), machines: opts.machines ?? 1, pool: 'virtual' });
  for (const m of lab.machines) {
    const res = await h.fetchJson('POST', '/api/v1/machines', m);
    if (res.status !== 201) throw new Error(`registering ${m.id} answered ${res.status}`);
  }
  return {
    h,
    lab,
    async close() {
      await lab.stop();
      await h.close();
    },
  };
}
