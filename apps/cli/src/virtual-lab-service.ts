import { existsSync } from 'node:fs';
import { VirtualLab } from '@kbisect/lab';
import { connectRedis, MachineStore } from '@kbisect/service';

const TOOLS = ['ipmi_sim', 'ipmitool', 'qemu-system-x86_64'];

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${tool}`));
}

/**
 * The embedded default's lab: virtual machines behind ipmi_sim BMCs,
 * registered in pool 'virtual' like any lab operator's machines. Without
 * the tools (scripts/setup installs them) serve runs without a lab and says so.
 */
export async function startVirtualLab(dir: string, machines: number, redisUrl: string, namespace: string, io: { err: (s: string) => void }): Promise<VirtualLab | undefined> {
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) {
    io.err(`kbisect: no virtual lab (${missing.join(', ')} not installed; scripts/setup installs them)`);
    return undefined;
  }
  const lab = await VirtualLab.start({ dir, machines, pool: 'virtual' });
  const redis = connectRedis(redisUrl);
  try {
    const store = new MachineStore(redis, namespace);
    for (const m of lab.machines) await store.register(m);
  } finally {
    redis.disconnect();
  }
  io.err(`kbisect: virtual lab: ${lab.machines.map((m) => `${m.id} (BMC 127.0.0.1:${m.bmc.port})`).join(', ')} in pool 'virtual'`);
  return lab;
}

/**
 * Lets the workers of `serve`/`demo` use the virtual lab's files (password
 * file, TFTP root) besides the cache dir, or besides the roots the operator
 * set in KBISECT_LAB_ROOTS.
 */
export function allowVirtualLabFiles(env: NodeJS.ProcessEnv, labDir: string, cacheDir: string): void {
  env.KBISECT_LAB_ROOTS = [env.KBISECT_LAB_ROOTS || cacheDir, labDir].join(':');
}
