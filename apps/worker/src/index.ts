export { startWorkers, type RunningWorkers } from './start-workers.js';
export { orchestrate, type OrchestratorDeps, type OrchestrateOutcome } from './orchestrate.js';
export { runTestJob, type TestJobDeps, type TestJobOutcome } from './run-test-job.js';
export { InfrastructureError } from './infrastructure-error.js';
export { workerConfigFromEnv, WorkerConfigSchema, type WorkerConfig, type WorkerRole } from './worker-config.js';
export { gitOpener } from './git-repo-adapter.js';
export type { OpenRepo, WorkerRepo } from './repo-port.js';
