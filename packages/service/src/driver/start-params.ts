import type { PolicyInput, StartParams } from '@kbisect/bisect';
import type { BisectionOptions } from '../request-schema.js';
import type { DriverStart } from './driver-step.js';
import type { ImportedMark } from './imported-log.js';
import type { OpenedRange } from './open-range.js';

/** The one translation of a request's options into an engine policy. */
export function policyFromOptions(o: BisectionOptions | undefined): PolicyInput {
  if (o?.policy === 'repeat') return { kind: 'repeat', ...defined({ badAfter: o.badAfter, goodAfter: o.goodAfter }) };
  if (o?.policy === 'bayes') return { kind: 'bayes', ...defined({ confidence: o.confidence, maxRuns: o.maxRuns, detection: o.detection, falsePositive: o.falsePositive }) };
  return { kind: 'deterministic' };
}

/** Leaves out the fields not given, so the engine's defaults apply (exactOptionalPropertyTypes). */
function defined<T extends Record<string, number | undefined>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/**
 * The engine's start parameters for a request's options on an opened range,
 * the same for `kbisect run` and the service. The endpoint check runs only
 * when asked for: requests stored before the option existed keep their old
 * behaviour (the API stores it on for new requests; `run` follows `git bisect run`).
 */
export function startParams(options: BisectionOptions | undefined, range: Pick<OpenedRange, 'graph' | 'bad' | 'goods'>, untestable: Readonly<Record<string, string>>): StartParams {
  return {
    graph: range.graph,
    bad: range.bad,
    goods: range.goods,
    firstParent: options?.firstParent ?? false,
    untestable,
    policy: policyFromOptions(options),
    ...(options?.terms === 'fix' ? { terms: 'fix' as const } : {}),
    ...(options?.verify || options?.verifyRevert ? { verify: { revert: options.verifyRevert ?? false } } : {}),
    ...(options?.checkEndpoints ? { checkEndpoints: true } : {}),
    ...(options?.maxParallel !== undefined && options.maxParallel > 1 ? { parallel: options.maxParallel } : {}),
  };
}

/**
 * Everything the driver starts from, for `kbisect run` and the service alike:
 * the engine's parameters, the merge bases to test first, the imported marks
 * and, for `untestable: narrow`, the symbols its forced runs drop BROKEN for.
 */
export function driverStartFor(
  options: BisectionOptions | undefined,
  range: Pick<OpenedRange, 'graph' | 'bad' | 'goods'> & { readonly mergeBases?: readonly string[] | undefined },
  untestable: Readonly<Record<string, string>>,
  extra: { readonly narrow?: { readonly forced: readonly string[] } | undefined; readonly imported?: readonly ImportedMark[] | undefined },
): DriverStart {
  return {
    params: { ...startParams(options, range, untestable), ...(extra.narrow ? { narrow: extra.narrow } : {}) },
    mergeBases: range.mergeBases ?? [],
    imported: extra.imported ?? [],
  };
}
