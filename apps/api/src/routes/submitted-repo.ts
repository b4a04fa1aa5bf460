import { RepoRefusedError, chooseRepo, mayUseTree, withTreeDefaults, type Principal } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';

/**
 * The repo a submission may bisect, checked before anything is stored or
 * cloned: a registered tree this token may use (stored as the tree's repo,
 * shown as its name), or an open URL the operator allows.
 */
export async function submittedRepo(repo: string, principal: Principal, deps: Pick<AppDeps, 'trees' | 'openRepos'>): Promise<{ readonly repo: string; readonly tree?: string }> {
  let choice;
  try {
    choice = chooseRepo(repo, await deps.trees.list(), deps.openRepos);
  } catch (err) {
    if (err instanceof RepoRefusedError) throw new ApiError('KBISECT_ERR_INVALID_REPO_SOURCE', err.message, err.field);
    throw err;
  }
  if (choice.kind === 'open') return { repo: choice.repo };
  if (!mayUseTree(choice.tree, principal)) throw new ApiError('KBISECT_ERR_FORBIDDEN', `repo: token '${principal.name}' may not use tree '${choice.tree.name}'`, 'repo');
  return { repo: choice.tree.repo, tree: choice.tree.name };
}

/** The body with its tree's defaults filled in where a kernel probe is silent (before validation; unknown trees change nothing). */
export async function withDefaultsOfNamedTree(body: unknown, deps: Pick<AppDeps, 'trees'>): Promise<unknown> {
  const repo = typeof body === 'object' && body !== null ? (body as { repo?: unknown }).repo : undefined;
  if (typeof repo !== 'string') return body;
  const tree = (await deps.trees.list()).find((t) => t.name === repo || t.repo === repo);
  return tree ? withTreeDefaults(body, tree.defaults) : body;
}
