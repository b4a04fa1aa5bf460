import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where `serve` keeps Redis data and tokens: --state-dir, else $KBISECT_STATE_DIR, else the XDG state dir. */
export function stateDirFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  if (option) return resolve(option);
  if (env.KBISECT_STATE_DIR) return resolve(env.KBISECT_STATE_DIR);
  return join(env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(homedir(), '.local', 'state'), 'kbisect');
}
