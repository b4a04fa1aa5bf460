/**
 * Every error the artifact store answers with, in one place: a stable code and
 * the HTTP status it maps to. The client raises the same classes, so a worker
 * tells a refused upload from a broken network by `code`.
 */
export type StoreErrorCode =
  | 'KBISECT_ERR_STORE_INVALID_KEY'
  | 'KBISECT_ERR_STORE_INVALID_NAME'
  | 'KBISECT_ERR_STORE_NOT_FOUND'
  | 'KBISECT_ERR_STORE_DIGEST_MISMATCH'
  | 'KBISECT_ERR_STORE_INCOMPLETE'
  | 'KBISECT_ERR_STORE_UNAUTHENTICATED'
  | 'KBISECT_ERR_STORE_FORBIDDEN'
  | 'KBISECT_ERR_STORE_READ_ONLY'
  | 'KBISECT_ERR_STORE_FULL'
  | 'KBISECT_ERR_STORE_RANGE'
  | 'KBISECT_ERR_STORE_UPSTREAM';

const STATUS: Record<StoreErrorCode, number> = {
  KBISECT_ERR_STORE_INVALID_KEY: 400,
  KBISECT_ERR_STORE_INVALID_NAME: 400,
  KBISECT_ERR_STORE_NOT_FOUND: 404,
  KBISECT_ERR_STORE_DIGEST_MISMATCH: 422,
  KBISECT_ERR_STORE_INCOMPLETE: 409,
  KBISECT_ERR_STORE_UNAUTHENTICATED: 401,
  KBISECT_ERR_STORE_FORBIDDEN: 403,
  KBISECT_ERR_STORE_READ_ONLY: 405,
  KBISECT_ERR_STORE_FULL: 507,
  KBISECT_ERR_STORE_RANGE: 416,
  KBISECT_ERR_STORE_UPSTREAM: 502,
};

export class StoreError extends Error {
  readonly statusCode: number;
  /**
   * For a worker's error taxonomy (@kbisect/bisect's categoryOf): a refused
   * credential is the operator's to fix and ends the bisection with the
   * message; anything else (a broken transfer, a full store) is retried.
   */
  readonly category: 'configuration' | 'infrastructure';
  constructor(readonly code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.statusCode = STATUS[code];
    this.category = code === 'KBISECT_ERR_STORE_UNAUTHENTICATED' || code === 'KBISECT_ERR_STORE_FORBIDDEN' ? 'configuration' : 'infrastructure';
  }
}

/** A file whose bytes do not hash to what its manifest says: never kept, never booted. */
export class ArtifactIntegrityError extends StoreError {
  constructor(message: string) {
    super('KBISECT_ERR_STORE_DIGEST_MISMATCH', message);
    this.name = 'ArtifactIntegrityError';
  }
}

/** The store's settings are wrong: the process does not start. */
export class StoreConfigError extends Error {
  readonly code = 'KBISECT_ERR_STORE_CONFIG';
  readonly category = 'configuration' as const;
  constructor(message: string) {
    super(message);
    this.name = 'StoreConfigError';
  }
}
