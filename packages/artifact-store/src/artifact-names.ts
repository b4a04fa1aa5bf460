import { StoreError } from './store-errors.js';

/** An artifact key is kbuild's ArtifactCache.keyOf: 64 lowercase hex digits, nothing a path could be made of. */
export const ARTIFACT_KEY_PATTERN = '^[0-9a-f]{64}$';
/** A file of an artifact: one plain name (bzImage, System.map, modules.tar.gz), no separators, no leading dot. */
export const FILE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const KEY = new RegExp(ARTIFACT_KEY_PATTERN);
const NAME = new RegExp(FILE_NAME_PATTERN);

export function isArtifactKey(value: string): boolean {
  return KEY.test(value);
}

export function isFileName(value: string): boolean {
  return NAME.test(value) && !value.includes('..') && value !== 'manifest.json';
}

/** A key from a client, checked before it comes near a path. */
export function checkedKey(value: string): string {
  if (!isArtifactKey(value)) throw new StoreError('KBISECT_ERR_STORE_INVALID_KEY', `artifact key: '${value.slice(0, 80)}' is not 64 lowercase hex digits`);
  return value;
}

/** A file name from a client, checked before it comes near a path. */
export function checkedFileName(value: string): string {
  if (!isFileName(value)) throw new StoreError('KBISECT_ERR_STORE_INVALID_NAME', `file name: '${value.slice(0, 80)}' is not a plain file name (letters, digits, '.', '_', '-'; not manifest.json)`);
  return value;
}
