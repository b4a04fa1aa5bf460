import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureRequestKey } from '@kbisect/service';

/**
 * For `serve` and `demo`: the key the API signs submissions with and the
 * workers check them with, generated once in the state dir (mode 0600)
 * unless KBISECT_REQUEST_KEY_FILE names one. Sets it in `env` for both.
 */
export async function ensureLocalRequestKey(stateDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (env.KBISECT_REQUEST_KEY_FILE) return;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'request-key');
  await ensureRequestKey(path);
  env.KBISECT_REQUEST_KEY_FILE = path;
}
