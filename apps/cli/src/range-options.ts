/** The options that name a bisection, shared by `run` (local) and `submit` (remote) so both read the same. */
export const RANGE_OPTIONS = {
  repo: { type: 'string' },
  good: { type: 'string', multiple: true },
  bad: { type: 'string' },
  'test-cmd': { type: 'string' },
  'first-parent': { type: 'boolean' },
} as const;
