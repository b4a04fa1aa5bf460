/**
 * Errors that are the submitter's to fix (unknown ref, good not an ancestor,
 * not a repository): they end the bisection with the message, instead of
 * being retried like an infrastructure failure.
 */
const USER_CODES = new Set([
  'KBISECT_ERR_INVALID_REF',
  'KBISECT_ERR_UNKNOWN_REF',
  'KBISECT_ERR_GOOD_EQUALS_BAD',
  'KBISECT_ERR_GOOD_NOT_ANCESTOR',
  'KBISECT_ERR_NOT_A_REPOSITORY',
  'KBISECT_ERR_INVALID_REPO_SOURCE',
  'KBISECT_ERR_KCONFIG_SYNTAX',
  'KBISECT_ERR_INVALID_CONFIG_SYMBOL',
]);

export function userErrorMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && USER_CODES.has(code) ? err.message : undefined;
}
