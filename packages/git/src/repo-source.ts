import { resolve } from 'node:path';
import { hasControlChars } from './control-chars.js';
import { InvalidRepoSourceError } from './errors/git-errors.js';

export type RepoSource = { readonly kind: 'path'; readonly path: string } | { readonly kind: 'url'; readonly url: string };

const ALLOWED_SCHEMES = ['https:', 'ssh:', 'git:', 'file:'];
// user@host:path, as scp and git write it (no scheme, a colon before any slash).
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/)[A-Za-z0-9._~/-]+$/;

/**
 * Decides what a user's `repo` is before git ever sees it. Remote helpers
 * (`ext::`, `fd::`, any `x::`) can run commands, and a leading `-` would be
 * read as an option, so both are refused outright; plain http is refused
 * because it is neither private nor authenticated.
 */
export function validateRepoSource(source: string, field = 'repo'): RepoSource {
  if (source.length === 0) throw new InvalidRepoSourceError(field, source, 'it is empty');
  if (source.length > 2048) throw new InvalidRepoSourceError(field, source, 'it is longer than 2048 characters');
  if (hasControlChars(source)) throw new InvalidRepoSourceError(field, source, 'it contains control characters');
  if (source.startsWith('-')) throw new InvalidRepoSourceError(field, source, "it starts with '-' and would be read as an option");
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(source)) throw new InvalidRepoSourceError(field, source, 'git remote helpers (transport::address) are not allowed');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(source)?.[1];
  if (scheme !== undefined) {
    if (!ALLOWED_SCHEMES.includes(`${scheme.toLowerCase()}:`)) throw new InvalidRepoSourceError(field, source, `scheme '${scheme}' is not allowed (use https, ssh, git or file)`);
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new InvalidRepoSourceError(field, source, 'it is not a valid URL');
    }
    if (url.protocol === 'file:') return { kind: 'path', path: decodeURIComponent(url.pathname) };
    return { kind: 'url', url: source };
  }
  if (SCP_LIKE.test(source)) return { kind: 'url', url: source };
  if (source.includes(':') && !source.startsWith('/') && !source.startsWith('.')) {
    throw new InvalidRepoSourceError(field, source, 'it is neither a path nor an https, ssh, git or file URL');
  }
  return { kind: 'path', path: resolve(source) };
}
