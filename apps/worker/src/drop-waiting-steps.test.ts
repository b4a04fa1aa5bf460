import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, jobIds, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { dropWaitingSteps } from './drop-waiting-steps.js';

const ns = uniqueNamespace('drop-waiting');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
afterAll(async () => {
  await queues.build.close();
  await queues.test.close();
  await dropNamespace(ns);
  redis.disconnect();
});

describe("a moot run's waiting steps", () => {
  it('are removed whether first jobs or a rebuild of a kernel the store lost; other runs keep theirs', async () => {
    const run = { bisectionId: '00000000-0000-4000-8000-000000000002', commit: 'a'.repeat(40) };
    const other = { ...run, commit: 'b'.repeat(40) };
    await queues.build.add('build', { ...run, rebuild: 2 }, { jobId: jobIds.build({ ...run, rebuild: 2 }) });
    await queues.test.add('test', run, { jobId: jobIds.test(run) });
    await queues.build.add('build', other, { jobId: jobIds.build(other) });
    expect(await dropWaitingSteps(queues, run)).toBe(true);
    expect(await queues.build.getJob(jobIds.build({ ...run, rebuild: 2 }))).toBeUndefined();
    expect(await queues.test.getJob(jobIds.test(run))).toBeUndefined();
    expect(await queues.build.getJob(jobIds.build(other))).toBeDefined();
    expect(await dropWaitingSteps(queues, run)).toBe(false);
  });
});
