import { openRepo, validateRepoSource } from '@kbisect/git';
import type { OpenRepo } from './repo-port.js';

/** Real git for workers: a mirror per repository under this host's cache dir. */
export function gitOpener(cacheDir: string): OpenRepo {
  return async (source) => openRepo(validateRepoSource(source, 'repo'), { cacheDir, fetch: true, field: 'repo' });
}
