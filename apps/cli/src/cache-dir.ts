import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where mirrors and worktrees live: --cache-dir, else $KBISECT_CACHE_DIR, else the XDG cache. */
export function cacheDirFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  if (option) return resolve(option);
  if (env.KBISECT_CACHE_DIR) return resolve(env.KBISECT_CACHE_DIR);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'kbisect');
}
