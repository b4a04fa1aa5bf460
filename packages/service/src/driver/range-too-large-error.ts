/** The range is larger than the submitting token may bisect: counted before its graph is read. */
export class RangeTooLargeError extends Error {
  readonly code = 'KBISECT_ERR_RANGE_TOO_LARGE';
  readonly category = 'user' as const;
  constructor(readonly commits: number, readonly cap: number) {
    super(`the range has ${commits} commits, over this token's limit of ${cap}; narrow it with a later good or an earlier bad`);
    this.name = 'RangeTooLargeError';
  }
}
