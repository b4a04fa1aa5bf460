import { describe, expect, it } from 'vitest';
import type { TestWorkerCapability } from '@kbisect/service';
import { handOnRefusedStep, REFUSED_STEP_DELAY_MS } from './refused-step.js';
import { WorkerRefusalError } from './worker-refusal-error.js';

const refusal = new WorkerRefusalError("refused by the worker: the command probe asks for the network (probe.network) and this worker gives probes none (KBISECT_PROBE_NETWORK is not 'allow')", ['requests', 'command', 'network']);

function deps(capable: number) {
  const calls: { asked: TestWorkerCapability[][]; requeued: number[]; failed: string[] } = { asked: [], requeued: [], failed: [] };
  return {
    calls,
    deps: {
      testWorkers: { liveCapable: async (needs: readonly TestWorkerCapability[]) => (calls.asked.push([...needs]), capable) },
      requeue: async (delayMs: number) => void calls.requeued.push(delayMs),
      fail: async (message: string) => void calls.failed.push(message),
    },
  };
}

describe('handOnRefusedStep', () => {
  it('puts the step back in the queue, delayed, while a live worker has what it needs', async () => {
    const { calls, deps: d } = deps(1);
    expect(await handOnRefusedStep(refusal, d)).toBe('requeued');
    expect(calls).toEqual({ asked: [['requests', 'command', 'network']], requeued: [REFUSED_STEP_DELAY_MS], failed: [] });
  });

  it('ends the step with the reason when no live worker can run it', async () => {
    const { calls, deps: d } = deps(0);
    expect(await handOnRefusedStep(refusal, d)).toBe('aborted');
    expect(calls.requeued).toEqual([]);
    expect(calls.failed).toEqual([`${refusal.message}; no live test worker can run it`]);
  });
});
