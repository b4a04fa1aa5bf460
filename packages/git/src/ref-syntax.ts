import { hasControlChars } from './control-chars.js';
import { InvalidPathError, InvalidRefError } from './errors/git-errors.js';

/**
 * A revision a user typed: a sha, a tag, a branch, `HEAD~3`, `v4.4^`. Refused
 * before any git process starts: a leading `-` (an option), ranges, spaces and
 * control characters, and anything longer than a ref can be.
 */
export function checkRefSyntax(ref: string, field: string): void {
  if (ref.length === 0) throw new InvalidRefError(field, ref, 'it is empty');
  if (ref.startsWith('-')) throw new InvalidRefError(field, ref, "refs may not start with '-'");
  if (ref.length > 255) throw new InvalidRefError(field, ref, 'it is longer than 255 characters');
  if (ref.includes('..') || ref.includes(' ') || ref.includes('\\') || hasControlChars(ref)) throw new InvalidRefError(field, ref, 'it contains spaces, control characters or a range');
  if (!/^[A-Za-z0-9_./@{}~^+-]+$/.test(ref)) throw new InvalidRefError(field, ref, 'it contains characters a revision cannot have');
}

/** A path inside the tree, for reading a file at a revision. */
export function checkTreePath(path: string): void {
  if (path.length === 0 || path.length > 4096) throw new InvalidPathError(path, 'empty or too long');
  if (path.startsWith('-') || path.startsWith('/')) throw new InvalidPathError(path, "paths are relative to the tree and may not start with '-' or '/'");
  if (hasControlChars(path)) throw new InvalidPathError(path, 'it contains control characters');
  if (path.split('/').some((part) => part === '..' || part === '')) throw new InvalidPathError(path, "'..' and empty components are not allowed");
}
