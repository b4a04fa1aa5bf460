import { FragmentError, loadFragments } from '@kbisect/kbuild';
import { findReproducer, ReproducerError } from '@kbisect/reproducers';
import type { KernelProbe } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';

/**
 * What can be known about a kernel probe before anything is queued: the
 * config fragments exist, the reproducer and its arguments are known, and
 * the pool has machines. Each failure names its field.
 */
export async function checkKernelProbe(probe: KernelProbe, deps: Pick<AppDeps, 'machines'>): Promise<void> {
  try {
    await loadFragments(probe.configFragments);
  } catch (err) {
    if (err instanceof FragmentError) throw new ApiError('KBISECT_ERR_VALIDATION', err.message, 'probe.configFragments');
    throw err;
  }
  try {
    findReproducer(probe.reproducer.name, probe.reproducer.args ?? []);
  } catch (err) {
    if (err instanceof ReproducerError) throw new ApiError('KBISECT_ERR_VALIDATION', err.message, err.field ?? 'probe.reproducer');
    throw err;
  }
  const machines = await deps.machines.list(probe.pool);
  if (machines.length === 0) throw new ApiError('KBISECT_ERR_VALIDATION', `machine pool '${probe.pool}' has no machines: register one (POST /api/v1/machines) or name another pool`, 'probe.pool');
}
