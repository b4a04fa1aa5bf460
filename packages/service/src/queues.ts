import { Type, type Static } from '@sinclair/typebox';
import { PurposeSchema } from './log-event.js';

/** Queue names, per namespace so tests and deployments never share queues by accident. */
export interface QueueNames {
  readonly orchestrate: string;
  readonly build: string;
  readonly test: string;
}

export function queueNames(namespace: string): QueueNames {
  return { orchestrate: `${namespace}-orchestrate`, build: `${namespace}-build`, test: `${namespace}-test` };
}

const BisectionId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

export const OrchestrateJobSchema = Type.Object({ bisectionId: BisectionId }, { additionalProperties: false });
export type OrchestrateJob = Static<typeof OrchestrateJobSchema>;

export const TestJobSchema = Type.Object(
  {
    bisectionId: BisectionId,
    commit: Type.String({ pattern: '^[0-9a-f]{40}$' }),
    subject: Type.Optional(Type.String()),
    run: Type.Optional(Type.Integer({ minimum: 0 })),
    purpose: Type.Optional(PurposeSchema),
    revert: Type.Optional(Type.String({ pattern: '^[0-9a-f]{40}$' })),
    progress: Type.Optional(Type.Object({ candidatesLeft: Type.Integer(), testableLeft: Type.Integer(), stepsLeft: Type.Integer(), tested: Type.Integer() })),
    /** Set by the build worker for kernel probes: what the lab boots. Paths are on the shared cache. */
    kernel: Type.Optional(
      Type.Object(
        {
          bzImage: Type.String({ minLength: 1 }),
          modules: Type.Optional(Type.String({ minLength: 1 })),
          configHash: Type.String(),
          fromCache: Type.Boolean(),
          buildSeconds: Type.Number(),
          forced: Type.Array(Type.String()),
          buildEvidence: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TestJob = Static<typeof TestJobSchema>;

/**
 * Deterministic job ids: the same step of the same bisection always maps to
 * the same id, so a replayed orchestration cannot enqueue a step twice.
 * (BullMQ refuses ':' in custom ids.)
 */
export const jobIds = {
  orchestrate: (bisectionId: string, logLength: number): string => `orch-${bisectionId}-${logLength}`,
  build: (bisectionId: string, commit: string, purpose = 'bisect', run = 0): string =>
    purpose === 'bisect' && run === 0 ? `build-${bisectionId}-${commit}` : `build-${bisectionId}-${commit}-${purpose}-${run}`,
  test: (bisectionId: string, commit: string, purpose = 'bisect', run = 0): string =>
    purpose === 'bisect' && run === 0 ? `test-${bisectionId}-${commit}` : `test-${bisectionId}-${commit}-${purpose}-${run}`,
};
