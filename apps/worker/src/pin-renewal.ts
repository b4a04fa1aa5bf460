import type { BisectionStore } from '@kbisect/service';

/**
 * Pins only renew when a bisection publishes a build; one that waits longer
 * than the store's pin TTL (KBISECT_STORE_PIN_TTL_HOURS) for a machine, or
 * behind other bisections, would lose the kernels it built. So the
 * orchestrators renew every running bisection's pins on a timer.
 */
export interface PinRenewalDeps {
  readonly store: Pick<BisectionStore, 'idsWithStatus'>;
  /** Renews one bisection's pins in the artifact store (PUT /pins/:holder); how many keys it holds. */
  readonly renewPins: (bisectionId: string) => Promise<number>;
}

export interface PinRenewalRound {
  /** Running bisections whose pins were renewed. */
  readonly renewed: readonly string[];
  /** Those the store did not answer for: tried again next round (a pin lasts the TTL, many rounds). */
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

/** One round: every running bisection's pins renewed, one at a time; a failure for one does not stop the others. */
export async function renewRunningPins(deps: PinRenewalDeps): Promise<PinRenewalRound> {
  const renewed: string[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const id of await deps.store.idsWithStatus('running')) {
    try {
      await deps.renewPins(id);
      renewed.push(id);
    } catch (err) {
      failed.push({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { renewed, failed };
}

/** Where a round's trouble goes (the worker's pino logger). */
export interface PinRenewalLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RunningPinRenewal {
  /** Stops the timer and waits for a round under way (it uses Redis, which closes next). */
  stop(): Promise<void>;
}

/**
 * A round now (an orchestrator that restarts more often than the interval
 * still renews), then every `intervalMs`; a round still under way when the
 * next is due is not doubled.
 */
export function startPinRenewal(deps: PinRenewalDeps & { readonly intervalMs: number; readonly logger: PinRenewalLog }): RunningPinRenewal {
  let current: Promise<void> | undefined;
  const round = (): void => {
    if (current) return;
    current = renewRunningPins(deps)
      .then((r) => {
        if (r.failed.length > 0) deps.logger.warn({ failed: r.failed }, `could not renew the artifact-store pins of ${r.failed.length} running bisection(s)`);
        else deps.logger.debug({ renewed: r.renewed.length }, 'renewed the artifact-store pins of the running bisections');
      }, (err: unknown) => deps.logger.warn({ err }, 'could not list the running bisections to renew their pins'))
      .finally(() => {
        current = undefined;
      });
  };
  round();
  const timer = setInterval(round, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
