export { openRepo, GitRepo, type CommitInfo, type Worktree, type OpenRepoOptions } from './git-repo.js';
export { ReusableCheckout, type Checkout } from './reusable-checkout.js';
export { validateRepoSource, type RepoSource } from './repo-source.js';
export { checkRefSyntax, checkTreePath } from './ref-syntax.js';
export { mirrorIdOf, mirrorPathFor } from './mirror-cache.js';
export {
  InvalidRepoSourceError, NotARepositoryError, InvalidRefError, UnknownRefError, GoodEqualsBadError, GoodNotAncestorError, InvalidPathError, GitCommandError,
} from './errors/git-errors.js';
export { hasControlChars, printable } from './control-chars.js';
export { hasUrlCredentials, redactUrlCredentials } from './url-credentials.js';
