import { Type, type Static } from '@sinclair/typebox';
import type { NarrowedSummary, RunPurpose } from '@kbisect/bisect';
import { AnsweredStatusSchema, ShaSchema as Sha } from './shared-schemas.js';

/**
 * What to do with commits where a required config symbol cannot be enabled
 * (e.g. THP `depends on BROKEN`): step around them (`skip`, git's honest
 * answer), patch the dependency out and test everything (`force`), or both
 * in one bisection (`narrow`: the honest search first, then, when it ends
 * "could be any of" because of them, a forced bisection among those
 * candidates only, reported beside the honest answer).
 */
export const UntestableModeSchema = Type.Union([Type.Literal('skip'), Type.Literal('force'), Type.Literal('narrow')], {
  description:
    "Commits where a required symbol cannot be enabled: step around them ('skip'), patch the dependency out and test anyway ('force'), or step around them and then narrow the ambiguous answer with forced builds of its candidates only ('narrow'; the default for kernel probes).",
});
export type UntestableMode = Static<typeof UntestableModeSchema>;

/** The engine's NarrowedSummary as it travels in the log and the view. */
export const NarrowedSchema = Type.Object({
  status: AnsweredStatusSchema,
  culprit: Type.Optional(Sha),
  candidates: Type.Optional(Type.Array(Sha)),
  forced: Type.Array(Type.String(), { description: 'Symbols whose BROKEN dependency was dropped to build the narrowing runs' }),
  steps: Type.Integer({ description: "Forced runs (purpose 'narrow')" }),
}, { description: "untestable 'narrow': the forced answer among the honest candidates, beside the honest status/candidates" });

interface ProbeLike {
  readonly type: 'command' | 'kernel';
  readonly requireConfig?: readonly string[];
  readonly untestable?: UntestableMode;
}

/** The config symbols a bisection requires: the bisection's options' and (kernel probes) the probe's. */
export function requiredSymbolsOf(probe: ProbeLike, options: { readonly requireConfig?: readonly string[] } | undefined): string[] {
  return [...new Set([...(options?.requireConfig ?? []), ...(probe.type === 'kernel' ? (probe.requireConfig ?? []) : [])])].sort();
}

/**
 * The mode a stored request runs with. The API writes the kernel-probe default
 * (`narrow`) into the request when it is created, so a request stored without
 * a mode is one from before `narrow` existed and replays as it ran: `skip`.
 */
export function untestableModeOf(probe: ProbeLike): UntestableMode {
  return probe.untestable ?? 'skip';
}

/**
 * Whether a run drops the blocking BROKEN dependency before its test: every
 * run under `force`, only the narrowing runs under `narrow` (the honest search
 * before them is never forced). One rule for `kbisect run`'s worktree, the
 * command-test job and the kernel build.
 */
export function forcesRun(mode: UntestableMode, purpose: RunPurpose | undefined): boolean {
  return mode === 'force' || purpose === 'narrow';
}

/** Whether the cheap Kconfig probe marks commits untestable before any test: not under `force`, which tests them all. */
export function probesUntestable(mode: UntestableMode, required: readonly string[]): boolean {
  return required.length > 0 && mode !== 'force';
}

/** The engine's `narrow` parameter for a request, when it narrows and has symbols to force. */
export function narrowOf(probe: ProbeLike, options: { readonly requireConfig?: readonly string[] } | undefined): { forced: string[] } | undefined {
  const forced = requiredSymbolsOf(probe, options);
  return untestableModeOf(probe) === 'narrow' && forced.length > 0 ? { forced } : undefined;
}

/** The engine's summary as the schema's (mutable) shape. */
export function narrowedOf(n: NarrowedSummary): Static<typeof NarrowedSchema> {
  const { candidates, forced, ...rest } = n;
  return { ...rest, forced: [...forced], ...(candidates ? { candidates: [...candidates] } : {}) };
}
