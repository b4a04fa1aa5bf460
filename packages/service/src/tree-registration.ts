import { hasUrlCredentials, validateRepoSource } from '@kbisect/git';
import { RepoRefusedError } from './tree-choice.js';
import type { Tree } from './tree-schema.js';

/**
 * An admin's tree, checked before it is stored: the repo is one git may be
 * given (no remote helpers, no leading '-', no plain http), carries no
 * credentials, and a path is absolute (the API's working directory means
 * nothing to a worker); `file://` is stored as its path.
 */
export function checkTreeRegistration(tree: Tree): Tree {
  if (hasUrlCredentials(tree.repo)) throw new RepoRefusedError('repo', 'credentials in a URL are refused (nothing was stored); let the workers authenticate with ssh keys or a credential helper');
  let source;
  try {
    source = validateRepoSource(tree.repo, 'repo');
  } catch (err) {
    throw new RepoRefusedError('repo', err instanceof Error ? err.message.replace(/^repo: /, '') : 'not an acceptable repository');
  }
  if (source.kind === 'path') {
    const given = tree.repo.startsWith('file://') ? source.path : tree.repo;
    if (!given.startsWith('/')) throw new RepoRefusedError('repo', 'a path must be absolute (as the workers see it)');
    return { ...tree, repo: source.path };
  }
  return tree;
}
