/** Roles, each including the ones before it. */
export const ROLES = ['read', 'submit', 'maintain', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * The artifact store's roles, a ladder of their own (a store credential never
 * opens the API, an API token never opens the store): `lab` downloads, `build`
 * also uploads and pins.
 */
export const STORE_ROLES = ['lab', 'build'] as const;
export type StoreRole = (typeof STORE_ROLES)[number];

export function storeRoleAllows(held: StoreRole, needed: StoreRole): boolean {
  return STORE_ROLES.indexOf(held) >= STORE_ROLES.indexOf(needed);
}
