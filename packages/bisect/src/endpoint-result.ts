/** What testing the ends of the range showed (ktest's BISECT_CHECK, KernelCI's bisect). */
export interface EndpointResult {
  readonly commit: string;
  readonly end: 'good' | 'bad';
  /** `as-expected`: the good end is clean, the bad end shows the bug. */
  readonly outcome: 'as-expected' | 'unexpected' | 'untestable';
  readonly runs: number;
  /** Runs that showed the bug. */
  readonly failures: number;
  readonly reason?: string;
}
