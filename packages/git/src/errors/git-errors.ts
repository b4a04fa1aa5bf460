import type { ErrorCategory } from '@kbisect/bisect';
import { printable } from '../control-chars.js';

/**
 * Typed failures of the git layer. The first group is the user's to fix
 * (bad ref, wrong range, not a repository) and is reported as one line; a
 * GitCommandError is the machinery failing and may be retried. Each says
 * which with its `category` (see ErrorCategory in @kbisect/bisect).
 */
abstract class GitError extends Error {
  abstract readonly code: string;
  abstract readonly category: ErrorCategory;
}

export class InvalidRepoSourceError extends GitError {
  readonly code = 'KBISECT_ERR_INVALID_REPO_SOURCE';
  readonly category = 'user' as const;
  constructor(field: string, source: string, reason: string) {
    super(`${field}: refusing '${printable(source)}': ${reason}`);
    this.name = 'InvalidRepoSourceError';
  }
}

export class NotARepositoryError extends GitError {
  readonly code = 'KBISECT_ERR_NOT_A_REPOSITORY';
  readonly category = 'user' as const;
  constructor(field: string, path: string) {
    super(`${field}: '${printable(path)}' is not a git repository`);
    this.name = 'NotARepositoryError';
  }
}

export class InvalidRefError extends GitError {
  readonly code = 'KBISECT_ERR_INVALID_REF';
  readonly category = 'user' as const;
  constructor(field: string, ref: string, reason: string) {
    super(`${field}: refusing ref '${printable(ref)}': ${reason}`);
    this.name = 'InvalidRefError';
  }
}

export class UnknownRefError extends GitError {
  readonly code = 'KBISECT_ERR_UNKNOWN_REF';
  readonly category = 'user' as const;
  constructor(field: string, ref: string, source: string) {
    super(`${field}: unknown revision '${printable(ref)}' (not found in ${printable(source)})`);
    this.name = 'UnknownRefError';
  }
}

export class GoodEqualsBadError extends GitError {
  readonly code = 'KBISECT_ERR_GOOD_EQUALS_BAD';
  readonly category = 'user' as const;
  constructor(sha: string) {
    super(`--good and --bad are the same commit ${sha}`);
    this.name = 'GoodEqualsBadError';
  }
}

export class GoodNotAncestorError extends GitError {
  readonly code = 'KBISECT_ERR_GOOD_NOT_ANCESTOR';
  readonly category = 'user' as const;
  constructor(goodRef: string, goodSha: string, badSha: string) {
    super(`--good ${printable(goodRef)} (${goodSha.slice(0, 12)}) is not an ancestor of --bad (${badSha.slice(0, 12)}); did you swap good and bad?`);
    this.name = 'GoodNotAncestorError';
  }
}

export class InvalidPathError extends GitError {
  readonly code = 'KBISECT_ERR_INVALID_PATH';
  readonly category = 'user' as const;
  constructor(path: string, reason: string) {
    super(`refusing path '${printable(path)}': ${reason}`);
    this.name = 'InvalidPathError';
  }
}

export class GitCommandError extends GitError {
  readonly code = 'KBISECT_ERR_GIT';
  readonly category = 'infrastructure' as const;
  constructor(what: string, detail: string) {
    // git often splits one error over lines ("fatal: unable to connect to host:" then the errno): keep a few.
    super(`git ${what} failed: ${detail.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 3).join(' ')}`);
    this.name = 'GitCommandError';
  }
}
