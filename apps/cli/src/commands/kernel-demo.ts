import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { apiConfigFromEnv, startApi } from '@kbisect/api';
import { DEMO_FIXTURE_SCRIPT } from '@kbisect/reproducers';
import { gitOpener, startWorkers, workerConfigFromEnv } from '@kbisect/worker';
import { apiClientFromEnv, type ApiClient } from '../api-client.js';
import { ensureLocalRequestKey } from '../local-request-key.js';
import { ensureLocalAdminToken } from '../local-tokens.js';
import { startPrivateRedis, type PrivateRedis } from '../private-redis.js';
import { allowVirtualLabFiles, startVirtualLab } from '../virtual-lab-service.js';
import { watchBisection } from './watch.js';
import type { CliIo } from '../cli-io.js';

/** One line for the user, like every other kbisect error. */
export class DemoError extends Error {
  readonly code = 'KBISECT_ERR_DEMO';
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}


/** The probe the demo submits: the regression shows in fork mode (see the fixture script). */
/** The name the demo registers its fixture tree under. */
const DEMO_TREE = 'linux-demo';

export const DEMO_PROBE = {
  type: 'kernel',
  configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'],
  requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'],
  pool: 'virtual',
  reproducer: { name: 'vfio-pin-check', args: ['--mode=fork', '--seconds=10'], timeoutSec: 300 },
} as const;

/**
 * `kbisect demo`: the mission in one piece on this machine. A history from
 * Debian's linux-source-6.1 with an injected regression that breaks DMA
 * pinning across fork and a stretch where THP depends on BROKEN; the service
 * (API, build and lab workers, a private Redis) and the virtual lab started
 * in-process; the bisection submitted over the API like a maintainer would
 * (with verification: the culprit and its parent again, the bad end built
 * with the culprit reverted), followed live, and its report printed.
 */
export async function kernelDemo(io: CliIo, dirs: { cacheDir: string; stateDir: string }, after?: (client: ApiClient, id: string) => Promise<void>): Promise<number> {
  io.out('kbisect demo: a real kernel bisection on the virtual lab');
  io.out('  history:    Debian linux-source-6.1 + 17 commits: a stretch where THP "depends on BROKEN", and one commit');
  io.out('              that lets fork share DMA-pinned pages (the parent\'s next write moves a pinned page)');
  io.out('  reproducer: vfio-pin-check --mode=fork (pins through VFIO_IOMMU_MAP_DMA, checks the frames stay)');
  io.out('  lab:        QEMU q35 + intel-iommu behind an ipmi_sim BMC, PXE-booted over IPMI\n');
  io.err('kbisect demo: preparing the history (first time: a few minutes)…');
  const made = await execa(DEMO_FIXTURE_SCRIPT, [], { timeout: 1_800_000, reject: false });
  if (made.exitCode !== 0) throw new DemoError(`cannot build the demo history: ${String(made.stderr).trim().split('\n').at(-1) ?? `exit ${made.exitCode}`} (scripts/setup installs linux-source-6.1)`);
  const fixture = String(made.stdout).trim();
  const culprit = (await execa('git', ['-C', fixture, 'rev-parse', 'demo-culprit^{commit}'])).stdout.trim();

  const stateDir = join(dirs.stateDir, 'demo');
  let redis: PrivateRedis | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, KBISECT_NAMESPACE: `kbisect-demo-${Date.now()}` };
  if (!env.REDIS_URL) {
    redis = await startPrivateRedis(stateDir);
    env.REDIS_URL = redis.url;
  }
  const logger = pino({ name: 'kbisect-demo', level: process.env.KBISECT_LOG_LEVEL ?? 'warn' });
  try {
    const tokens = await ensureLocalAdminToken(stateDir);
    await ensureLocalRequestKey(stateDir, env);
    allowVirtualLabFiles(env, join(stateDir, 'virtual-lab'), dirs.cacheDir);
    const workers = await startWorkers(workerConfigFromEnv(env, ['orchestrator', 'build', 'test'], { cacheDir: dirs.cacheDir }), { openRepo: gitOpener(dirs.cacheDir), logger });
    const apiConfig = apiConfigFromEnv(env, { port: 0, host: '127.0.0.1' });
    const api = await startApi(apiConfig, tokens.registry, logger);
    const lab = await startVirtualLab(join(stateDir, 'virtual-lab'), 1, env.REDIS_URL, apiConfig.namespace, io);
    try {
      if (!lab) return 1;
      const client = await apiClientFromEnv({ KBISECT_URL: api.url, KBISECT_TOKEN: (await readFile(tokens.tokenPath, 'utf8')).trim() });
      // Verified as a maintainer would before replying: the culprit and its parent again, and the bad end with the culprit reverted.
      // The local admin registers the fixture as a tree, and the demo submits by its name like any user.
      // reuse: false — the demo's Redis outlives it, and a second demo would otherwise take every verdict of the first from the shared cache and show no kernel built or booted.
      await client.json('POST', '/api/v1/trees', { name: DEMO_TREE, repo: fixture });
      const { id } = await client.json<{ id: string }>('POST', '/api/v1/bisections', { repo: DEMO_TREE, good: ['v6.1-base'], bad: 'demo-bad', probe: DEMO_PROBE, options: { verify: true, verifyRevert: true, reuse: false } });
      io.err(`kbisect demo: bisection ${id} submitted to ${api.url}`);
      io.err(`kbisect demo: watch it in a browser at ${api.url}/b/${id} (sign in with the token in ${tokens.tokenPath})`);
      const status = await watchBisection(client, id, io);
      io.out((await client.request('GET', `/api/v1/bisections/${id}/report`, undefined, 'text/plain')).text.trimEnd());
      const view = await client.json<{ culprit?: string; verification?: { revert?: { outcome?: string } } }>('GET', `/api/v1/bisections/${id}`);
      const revert = view.verification?.revert?.outcome;
      io.out(`\nThe injected regression is ${culprit.slice(0, 12)}: kbisect ${view.culprit === culprit ? 'found it' : 'did NOT find it'}${revert ? `; the bad end with it reverted: ${revert}` : ''}.`);
      await after?.(client, id);
      return status === 'found' && view.culprit === culprit ? 0 : 1;
    } finally {
      await api.close();
      await workers.close();
      await lab?.stop();
    }
  } finally {
    await redis?.stop();
  }
}
