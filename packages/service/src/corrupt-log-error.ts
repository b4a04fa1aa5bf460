/** A stored log entry that does not match the schema: never guessed at, always reported. */
export class CorruptLogError extends Error {
  readonly code = 'KBISECT_ERR_CORRUPT_LOG';
  constructor(key: string, entryId: string) {
    super(`log ${key} entry ${entryId} does not match the event schema`);
    this.name = 'CorruptLogError';
  }
}
