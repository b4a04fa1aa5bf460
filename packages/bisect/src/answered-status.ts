/**
 * How a search that ends with an answer ends: one culprit (`found`), or
 * candidates it could not tell apart (`ambiguous`: skipped commits among
 * them). The bisection's status, a narrowing's forced answer and the list's
 * text search (only answered bisections name commits) all take these two.
 */
export const ANSWERED_STATUSES = ['found', 'ambiguous'] as const;
export type AnsweredStatus = (typeof ANSWERED_STATUSES)[number];
