import type { BISECTION_ID as ServiceBisectionId, RunFields, RunPurpose, RUN_DEFAULTS as ServiceRunDefaults, ROLES as ServiceRoles, SHA_PATTERN as ServiceShaPattern, STATUSES as ServiceStatuses } from '@kbisect/service';

/*
 * Values the service declares, restated for the browser: the UI's modules are
 * served as tsc writes them, without a bundler, so they import no service
 * code at run time (types only). Each is typed `typeof` the service's own
 * constant — a literal type — so any drift (a status added, a default or the
 * sha pattern changed) fails this package's build instead of the page.
 */

/** Every status a bisection can have, in the service's order. */
export const STATUSES: typeof ServiceStatuses = ['queued', 'running', 'found', 'ambiguous', 'failed', 'cancelled'];

/** Token roles, weakest first. */
export const ROLES: typeof ServiceRoles = ['read', 'submit', 'maintain', 'admin'];

/** A full commit sha (anchored; also valid as an input's `pattern`). */
export const SHA_PATTERN: typeof ServiceShaPattern = '^[0-9a-f]{40}$';
const SHA_RE = new RegExp(SHA_PATTERN);
export const isFullSha = (value: string): boolean => SHA_RE.test(value);

/** A bisection's id, unanchored (the UI finds it in paths and lease names). */
export const BISECTION_ID: typeof ServiceBisectionId = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const RUN_DEFAULTS: typeof ServiceRunDefaults = { purpose: 'bisect', run: 0 };

/** A run's purpose and index with the wire's defaults filled in (the engine's runRef, for the fields the UI shows). */
export function runOf(fields: Pick<RunFields, 'purpose' | 'run'>): { readonly purpose: RunPurpose; readonly run: number } {
  return { purpose: fields.purpose ?? RUN_DEFAULTS.purpose, run: fields.run ?? RUN_DEFAULTS.run };
}
