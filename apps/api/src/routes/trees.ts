import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RepoRefusedError, TreeNameSchema, TreeNotFoundError, TreeReadSchema, TreeSchema, checkTreeRegistration, treeAsSeenBy } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';

const TreeNameParams = Type.Object({ name: TreeNameSchema });

/**
 * Admins register the kernel trees submissions may name; everyone who may
 * read lists them by name, and only admins see the repo behind a name (a
 * path or host of the workers). A tree's repo never carries credentials
 * (refused here), so no response can contain one.
 */
export function treeRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const read = requireRole(deps.tokens, 'read');
    const admin = requireRole(deps.tokens, 'admin');

    app.get('/trees', {
      onRequest: read,
      schema: { summary: 'List registered trees (the repo behind each name: admins only)', response: { 200: Type.Object({ items: Type.Array(TreeReadSchema) }), ...errorResponses } },
    }, async (request) => ({ items: (await deps.trees.list()).map((t) => treeAsSeenBy(t, request.principal!.role)) }));

    app.get('/trees/:name', {
      onRequest: read,
      schema: { summary: 'One registered tree (its repo: admins only)', params: TreeNameParams, response: { 200: TreeReadSchema, ...errorResponses } },
    }, async (request) => {
      const tree = await deps.trees.get(request.params.name);
      if (!tree) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no tree ${request.params.name}`, 'name');
      return treeAsSeenBy(tree, request.principal!.role);
    });

    app.post('/trees', {
      onRequest: admin,
      schema: { summary: 'Register a kernel tree (or replace it; running bisections keep the repo they started with)', body: TreeSchema, response: { 200: TreeSchema, 201: TreeSchema, ...errorResponses } },
    }, async (request, reply) => {
      let tree;
      try {
        tree = checkTreeRegistration(request.body);
      } catch (err) {
        if (err instanceof RepoRefusedError) throw new ApiError('KBISECT_ERR_INVALID_REPO_SOURCE', err.message, err.field);
        throw err;
      }
      const { created } = await deps.trees.register(tree);
      request.log.info({ tree: tree.name, by: request.principal!.name, created }, 'tree registered');
      return reply.status(created ? 201 : 200).send(tree);
    });

    app.delete('/trees/:name', {
      onRequest: admin,
      schema: { summary: 'Forget a tree (bisections already submitted keep running)', params: TreeNameParams, response: { 204: Type.Null(), ...errorResponses } },
    }, async (request, reply) => {
      try {
        await deps.trees.remove(request.params.name);
      } catch (err) {
        if (err instanceof TreeNotFoundError) throw new ApiError('KBISECT_ERR_NOT_FOUND', err.message, 'name');
        throw err;
      }
      request.log.info({ tree: request.params.name, by: request.principal!.name }, 'tree removed');
      return reply.status(204).send(null);
    });
  };
}
