import { Type, type Static } from '@sinclair/typebox';
import { ConfigSymbolSchema } from './request-schema.js';
import type { Role } from './roles.js';

export const TREE_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
export const TreeNameSchema = Type.String({ pattern: TREE_NAME_PATTERN, description: 'A registered tree, e.g. linux, linux-next, stable-6.1' });

const RoleNameSchema = Type.Union([Type.Literal('read'), Type.Literal('submit'), Type.Literal('maintain'), Type.Literal('admin')]);

/** What a kernel probe on this tree uses when the submission does not say. */
export const TreeDefaultsSchema = Type.Object(
  {
    configFragments: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]+$', maxLength: 64 }), { maxItems: 32, description: 'Names of fragments in kernel-configs/' })),
    requireConfig: Type.Optional(Type.Array(ConfigSymbolSchema, { maxItems: 64 })),
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' })),
  },
  { additionalProperties: false },
);

const TreeFields = {
  name: TreeNameSchema,
  repo: Type.String({ minLength: 1, maxLength: 2048, description: 'An absolute path on the workers, or an https/ssh/git URL (no credentials: use ssh keys or a credential helper on the workers)' }),
  roles: Type.Optional(Type.Array(RoleNameSchema, { maxItems: 4, description: 'Tokens whose role is at least one of these may use the tree; with tokens, either suffices. Neither: every submitter.' })),
  tokens: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 256, description: 'Token names that may use the tree' })),
  defaults: Type.Optional(TreeDefaultsSchema),
};

/**
 * A kernel tree an admin registered: submissions name it (or its exact
 * repo), so a submitter chooses among trees and never makes a worker read
 * an arbitrary path or connect to an arbitrary host.
 */
export const TreeSchema = Type.Object(TreeFields, { additionalProperties: false });

/** A registered tree as GET /trees shows it: the repo (a path or host of the workers) only to admins. */
export const TreeReadSchema = Type.Object({ ...TreeFields, repo: Type.Optional(TreeFields.repo) }, { additionalProperties: false, description: 'A registered tree; `repo` only for admin tokens' });

export type Tree = Static<typeof TreeSchema>;
export type TreeRead = Static<typeof TreeReadSchema>;
export type TreeDefaults = Static<typeof TreeDefaultsSchema>;

/** What a token of `role` sees of a tree: readers, submitters and maintainers get its name, who may use it and its defaults, never the repo behind it. */
export function treeAsSeenBy(tree: Tree, role: Role): TreeRead {
  if (role === 'admin') return tree;
  const { repo: _repo, ...seen } = tree;
  return seen;
}
