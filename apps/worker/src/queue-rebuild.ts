import type { Queue } from 'bullmq';
import { jobIds, type BuildJob } from '@kbisect/service';
import { stepJobOptions } from './step-job-options.js';

/**
 * How a lab job has a kernel the artifact store lost built again: a step
 * build on the build queue with the step's priority and retries. Its id
 * names the rebuild, so it is not taken for the run's finished build.
 */
export function queueRebuild(buildQueue: Queue, step: { attempts: number; priority: number }): (build: BuildJob) => Promise<void> {
  return async (build) => {
    await buildQueue.add('build', build, { jobId: jobIds.build(build), ...stepJobOptions(step) });
  };
}
