import { hasUrlCredentials, printable, validateRepoSource } from '@kbisect/git';
import type { OpenRepoPolicy } from './open-repo-policy.js';
import { roleAllows } from './roles.js';
import type { Principal } from './token-registry.js';
import type { Tree, TreeDefaults } from './tree-schema.js';

/** What a submission's `repo` turned out to be, once checked: a registered tree, or an open URL the operator allows. */
export type RepoChoice = { readonly kind: 'tree'; readonly tree: Tree } | { readonly kind: 'open'; readonly repo: string };

/** The submission's repo is not one this deployment builds (or not for this token); nothing was cloned. */
export class RepoRefusedError extends Error {
  readonly code = 'KBISECT_ERR_INVALID_REPO_SOURCE';
  readonly category = 'user' as const;
  constructor(readonly field: string, message: string, readonly forbidden = false) {
    super(`${field}: ${message}`);
    this.name = 'RepoRefusedError';
  }
}

/** A URL's scheme and host as git would connect to them (scp-like `user@host:path` is ssh). */
function schemeAndHost(url: string): { scheme: string; host: string } | undefined {
  const scp = /^[A-Za-z0-9._~-]+@([A-Za-z0-9.-]+):(?!\/\/)/.exec(url);
  if (scp) return { scheme: 'ssh', host: scp[1]!.toLowerCase() };
  try {
    const u = new URL(url);
    return { scheme: u.protocol.replace(/:$/, '').toLowerCase(), host: u.hostname.toLowerCase() };
  } catch {
    return undefined;
  }
}

/**
 * The trust boundary of the repository a submission names: a registered
 * tree (by name or its exact repo), else — only where the operator opted in —
 * an https/git/ssh URL to an allow-listed host. Local paths and file:// never
 * pass from the API unless an admin registered them. Messages never echo
 * credentials.
 */
export function chooseRepo(repo: string, trees: readonly Tree[], policy: OpenRepoPolicy | undefined, field = 'repo'): RepoChoice {
  if (hasUrlCredentials(repo)) throw new RepoRefusedError(field, 'credentials in a URL are refused (nothing was stored); register the tree and let the workers authenticate with ssh keys or a credential helper');
  const tree = trees.find((t) => t.name === repo) ?? trees.find((t) => t.repo === repo);
  if (tree) return { kind: 'tree', tree };
  const registered = `'${printable(repo).slice(0, 200)}' is not a registered tree (kbisect trees list)`;
  if (!policy) throw new RepoRefusedError(field, `${registered}; this deployment builds registered trees only`);
  let source;
  try {
    source = validateRepoSource(repo, field);
  } catch (err) {
    throw new RepoRefusedError(field, `${registered}, nor an acceptable URL: ${err instanceof Error ? err.message.replace(/^[^:]*: /, '') : 'invalid'}`);
  }
  const at = source.kind === 'url' ? schemeAndHost(source.url) : undefined;
  if (!at) throw new RepoRefusedError(field, `${registered}; local paths and file:// URLs are only accepted as registered trees`);
  if (!(policy.schemes as readonly string[]).includes(at.scheme)) throw new RepoRefusedError(field, `${registered}, and open URLs may only use ${policy.schemes.join(', ')} here (not ${at.scheme})`);
  if (!policy.hosts.includes(at.host)) throw new RepoRefusedError(field, `${registered}, and host '${printable(at.host)}' is not on this deployment's allow-list`);
  return { kind: 'open', repo };
}

/** Whether a token may submit to a tree: admins always; else its name or its role (at least one listed) must be allowed; a tree that lists neither is open to every submitter. */
export function mayUseTree(tree: Tree, principal: Principal): boolean {
  if (principal.role === 'admin') return true;
  const roles = tree.roles ?? [];
  const tokens = tree.tokens ?? [];
  if (roles.length === 0 && tokens.length === 0) return true;
  return tokens.includes(principal.name) || roles.some((r) => roleAllows(principal.role, r));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A submission's body with the tree's defaults filled in where a kernel probe
 * is silent, before the body is validated (so a request that relies on them
 * is complete when stored, and replays never depend on the tree again).
 */
export function withTreeDefaults(body: unknown, defaults: TreeDefaults | undefined): unknown {
  if (!defaults || !isObject(body) || !isObject(body.probe) || body.probe.type !== 'kernel') return body;
  const probe = { ...body.probe };
  if (probe.configFragments === undefined && defaults.configFragments) probe.configFragments = [...defaults.configFragments];
  if (probe.pool === undefined && defaults.pool !== undefined) probe.pool = defaults.pool;
  const options = isObject(body.options) ? body.options : undefined;
  if (probe.requireConfig === undefined && options?.requireConfig === undefined && defaults.requireConfig) probe.requireConfig = [...defaults.requireConfig];
  return { ...body, probe };
}
