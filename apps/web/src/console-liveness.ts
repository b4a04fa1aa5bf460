import type { BisectionView } from '@kbisect/service';

/** Whether a streamed console still grows: its step runs, or the step (or the whole bisection) has ended. */
export type ConsoleLiveness = 'live' | 'step-ended' | 'bisection-ended';

/** What of the view decides it. */
export type LivenessView = Pick<BisectionView, 'status' | 'finishedAt' | 'inFlight' | 'current' | 'verdicts'>;

/** The bisection has ended: its finished event is in, or its status is final with nothing left in flight. */
export function bisectionEnded(view: LivenessView): boolean {
  return view.finishedAt !== undefined || (view.status !== 'queued' && view.status !== 'running' && !view.inFlight?.length);
}

/**
 * Whether the console of the step testing `commit` is live, by the latest
 * view. A bisection that has ended has no live console (its event stream
 * replays the consoles of steps long over). A commit is still live while
 * it is being tested, and while the view has no verdict for it either: a
 * console line can arrive before the refreshed view shows its step started.
 * A commit tested again (a flaky policy's next run) is live again.
 */
export function consoleLiveness(view: LivenessView | undefined, commit: string): ConsoleLiveness {
  if (!view) return 'live';
  if (bisectionEnded(view)) return 'bisection-ended';
  if (view.current?.commit === commit || view.inFlight?.some((r) => r.commit === commit)) return 'live';
  return view.verdicts.some((v) => v.commit === commit) ? 'step-ended' : 'live';
}

/** The viewer's title for that console. */
export function consoleTitle(shortCommit: string, liveness: ConsoleLiveness): string {
  if (liveness === 'live') return `Console of ${shortCommit}, live`;
  return `Console of ${shortCommit}, as streamed (the ${liveness === 'step-ended' ? 'step' : 'bisection'} has ended; the whole console is the step's evidence)`;
}
