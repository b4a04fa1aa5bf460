import { Type, type Static } from '@sinclair/typebox';
import { runName, type RunFields } from '@kbisect/bisect';
import { BisectionIdSchema, ProgressSchema, RunRefSchema } from './shared-schemas.js';

/** Queue names, per namespace so tests and deployments never share queues by accident. */
export interface QueueNames {
  readonly orchestrate: string;
  readonly build: string;
  readonly test: string;
}

export function queueNames(namespace: string): QueueNames {
  return { orchestrate: `${namespace}-orchestrate`, build: `${namespace}-build`, test: `${namespace}-test` };
}

export const OrchestrateJobSchema = Type.Object({ bisectionId: BisectionIdSchema }, { additionalProperties: false });
export type OrchestrateJob = Static<typeof OrchestrateJobSchema>;

/**
 * What every step job carries: the bisection and the run (commit, purpose,
 * run, revert), the commit's subject and the engine's progress for display.
 */
const StepJobProperties = {
  bisectionId: BisectionIdSchema,
  ...RunRefSchema.properties,
  subject: Type.Optional(Type.String()),
  progress: Type.Optional(ProgressSchema),
};

/**
 * Times a run's kernel may be built and handed to the lab again because the
 * artifact store no longer had it when the lab came to fetch it.
 */
export const MAX_REBUILDS = 3;

/**
 * A build (and the lab test it hands on) made again for a kernel the artifact
 * store lost: the how-manieth. Part of the job ids, so the new jobs are not
 * taken for the finished ones of the same run.
 */
const RebuildProperty = { rebuild: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REBUILDS })) };

/** Build a kernel for a kernel probe's step (build queue). */
export const BuildJobSchema = Type.Object({ kind: Type.Literal('build'), ...StepJobProperties, ...RebuildProperty }, { additionalProperties: false });
export type BuildJob = Static<typeof BuildJobSchema>;

/**
 * Build a kernel ahead of its step, into the artifact cache only, while the
 * run that may ask for it is tested (build queue, low priority): `after` is
 * that run, named for the event that says the kernel was built ahead.
 */
export const BuildAheadJobSchema = Type.Object({ kind: Type.Literal('build-ahead'), bisectionId: BisectionIdSchema, ...RunRefSchema.properties, after: RunRefSchema }, { additionalProperties: false });
export type BuildAheadJob = Static<typeof BuildAheadJobSchema>;

/** Anything on the build queue. */
export const BuildQueueJobSchema = Type.Union([BuildJobSchema, BuildAheadJobSchema]);

/**
 * BullMQ priority of a build ahead: behind every step's own job (request
 * priorities are 1–100, lower first), so it only takes a build slot nobody else wants.
 */
export const BUILD_AHEAD_PRIORITY_OFFSET = 1000;

/** Run a command probe in the commit's worktree (test queue). */
export const CommandTestJobSchema = Type.Object({ kind: Type.Literal('command-test'), ...StepJobProperties }, { additionalProperties: false });
export type CommandTestJob = Static<typeof CommandTestJobSchema>;

/**
 * What the build hands the lab: the kernel to boot. With an artifact store the
 * lab fetches `artifact` from it into its own cache and the paths are only the
 * builder's; without one they are on storage both share (`kbisect serve`).
 */
export const BuiltKernelSchema = Type.Object(
  {
    bzImage: Type.String({ minLength: 1 }),
    /** The build's artifact key (kbuild's ArtifactCache.keyOf), when the build host uploaded it to the artifact store. */
    artifact: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    modules: Type.Optional(Type.String({ minLength: 1 })),
    configHash: Type.String(),
    fromCache: Type.Boolean(),
    buildSeconds: Type.Number(),
    forced: Type.Array(Type.String()),
    buildEvidence: Type.String(),
  },
  { additionalProperties: false },
);
export type BuiltKernel = Static<typeof BuiltKernelSchema>;

/** Boot a built kernel in the lab and run the reproducer (test queue). */
export const LabTestJobSchema = Type.Object({ kind: Type.Literal('lab-test'), ...StepJobProperties, ...RebuildProperty, kernel: BuiltKernelSchema }, { additionalProperties: false });
export type LabTestJob = Static<typeof LabTestJobSchema>;

/** Anything on the test queue. */
export const TestQueueJobSchema = Type.Union([CommandTestJobSchema, LabTestJobSchema]);
export type TestQueueJob = Static<typeof TestQueueJobSchema>;
/** Any step job: its run is what names its evidence and verdict. */
export type StepJob = BuildJob | TestQueueJob;

/** A run of a bisection: what names its jobs (a step job is one). */
export type StepRun = { readonly bisectionId: string } & RunFields;

/** A step job's run, and whether it is a rebuild of a kernel the store lost. */
type StepJobRun = StepRun & { readonly rebuild?: number | undefined };

const rebuildSuffix = (job: StepJobRun): string => (job.rebuild !== undefined ? `-rebuild${job.rebuild}` : '');

/**
 * Deterministic job ids: the same step of the same bisection always maps to
 * the same id, so a replayed orchestration cannot enqueue a step twice.
 * (BullMQ refuses ':' in custom ids.)
 */
export const jobIds = {
  orchestrate: (bisectionId: string, logLength: number): string => `orch-${bisectionId}-${logLength}`,
  build: (job: StepJobRun): string => `build-${job.bisectionId}-${runName(job)}${rebuildSuffix(job)}`,
  test: (job: StepJobRun): string => `test-${job.bisectionId}-${runName(job)}${rebuildSuffix(job)}`,
  buildAhead: (job: StepRun): string => `ahead-${job.bisectionId}-${runName(job)}`,
};

/** A step's evidence names and append-once tokens: the first bisect run is the bare commit, as before runs had purposes. */
export const stepNames = {
  suffix: (job: StepJob): string => runName(job),
  verdictToken: (run: RunFields): string => `verdict:${runName(run, ':')}`,
};
