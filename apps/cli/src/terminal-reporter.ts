import type { Progress, Verdict } from '@kbisect/bisect';
import { counted } from './counted.js';
import type { RunReporter } from './run-bisection.js';

const short = (sha: string): string => sha.slice(0, 12);

/** One progress line per step on stderr, so stdout stays clean for --json. */
export function terminalReporter(write: (line: string) => void): RunReporter {
  return {
    stepStarted(step: number, commit: string, subject: string | undefined, p: Progress, note?: string) {
      const title = subject ? ` ${JSON.stringify(subject)}` : '';
      const what = note ? ` (${note})` : '';
      write(`[step ${step}] testing ${short(commit)}${title}${what}: ${counted(p.candidatesLeft, 'candidate')} left (${p.testableLeft} testable), roughly ${counted(p.stepsLeft, 'step')} after this`);
    },
    stepFinished(step: number, commit: string, verdict: Verdict, reason: string) {
      write(`[step ${step}] ${short(commit)} is ${verdict} (${reason})`);
    },
    stepCancelled(step: number, commit: string, reason: string) {
      write(`[step ${step}] ${short(commit)} cancelled (${reason})`);
    },
    autoSkipped(commit: string, reason: string) {
      write(`[skip] ${short(commit)} stepped around without a build: ${reason}`);
    },
  };
}
