/**
 * Every error the API can answer with, in one place: a stable code for
 * scripts, an HTTP status, and a message naming the field or the reason.
 * 5xx details are never sent; they go to the log.
 */
export const API_ERRORS = {
  KBISECT_ERR_VALIDATION: 400,
  KBISECT_ERR_INVALID_JSON: 400,
  KBISECT_ERR_INVALID_REPO_SOURCE: 400,
  KBISECT_ERR_UNAUTHENTICATED: 401,
  KBISECT_ERR_FORBIDDEN: 403,
  KBISECT_ERR_COMMAND_PROBE_DISABLED: 403,
  KBISECT_ERR_CSRF: 403,
  KBISECT_ERR_OVER_LIMIT: 403,
  KBISECT_ERR_NOT_FOUND: 404,
  KBISECT_ERR_VERDICT_REJECTED: 409,
  KBISECT_ERR_NOT_READY: 409,
  KBISECT_ERR_BODY_TOO_LARGE: 413,
  KBISECT_ERR_URI_TOO_LONG: 414,
  KBISECT_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  KBISECT_ERR_RANGE_TOO_LARGE: 413,
  KBISECT_ERR_RATE_LIMITED: 429,
  KBISECT_ERR_TOO_MANY_BISECTIONS: 429,
  KBISECT_ERR_TOO_MANY_STREAMS: 429,
  KBISECT_ERR_INTERNAL: 500,
  KBISECT_ERR_UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly statusCode: number;
  /** For 429s: seconds until a retry can succeed, sent as Retry-After. */
  constructor(readonly code: ApiErrorCode, message: string, readonly field?: string, readonly retryAfterSec?: number) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = API_ERRORS[code];
  }
}
