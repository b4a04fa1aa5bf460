/**
 * Reads a test machine's console log and says what happened. Pure: the log
 * is a string, whether the deadline passed is a fact given by the caller.
 * (Whether the machine powered off is not needed: without a result, a crash,
 * a reboot or a passed deadline, the watcher only stops when it did.)
 *
 * The reproducer's init prints `KBISECT-INIT-START` when it starts,
 * `KBISECT-TEST-START` before the test, and one `KBISECT-RESULT {json}` line.
 */
export type BootPhase = 'before-init' | 'before-test' | 'during-test';

export type BootOutcome =
  | { readonly kind: 'result'; readonly verdict: 'good' | 'bad' | 'skip'; readonly metrics: Readonly<Record<string, number>>; readonly line: string; readonly reason?: string }
  | { readonly kind: 'crash'; readonly phase: BootPhase; readonly signature: string; readonly lines: readonly string[] }
  | { readonly kind: 'reboot'; readonly phase: BootPhase }
  | { readonly kind: 'hang'; readonly phase: BootPhase }
  | { readonly kind: 'powered-off'; readonly phase: BootPhase }
  | { readonly kind: 'bad-result-line'; readonly line: string; readonly problem: string };

/** Signatures of a kernel in trouble, most specific first. */
export const CRASH_SIGNATURES: readonly { readonly name: string; readonly re: RegExp }[] = [
  { name: 'soft lockup', re: /watchdog: BUG: soft lockup/ },
  { name: 'hung task', re: /INFO: task .* blocked for more than \d+ seconds/ },
  { name: 'RCU stall', re: /rcu: INFO: rcu_\w+ (?:self-)?detected stall/ },
  { name: 'cannot mount root', re: /VFS: Unable to mount root fs/ },
  { name: 'general protection fault', re: /general protection fault/ },
  { name: 'Oops', re: /Oops: / },
  { name: 'BUG', re: /\bBUG: / },
  { name: 'kernel panic', re: /Kernel panic - not syncing/ },
];

const RESULT = /KBISECT-RESULT (\{.*\})\s*$/;

export function classifyConsole(log: string, facts: { readonly deadlinePassed: boolean }): BootOutcome {
  const lines = log.split(/\r?\n/);
  const index = (marker: string): number => lines.findIndex((l) => l.includes(marker));
  const initAt = index('KBISECT-INIT-START');
  const testAt = index('KBISECT-TEST-START');
  const phaseAt = (i: number): BootPhase => (testAt >= 0 && i > testAt ? 'during-test' : initAt >= 0 && i > initAt ? 'before-test' : 'before-init');
  const lastPhase: BootPhase = testAt >= 0 ? 'during-test' : initAt >= 0 ? 'before-test' : 'before-init';

  // A crash is reported even when a result line follows: the kernel broke.
  // The first signature in the log names it (a BUG line precedes its Oops).
  let first: { at: number; name: string } | undefined;
  for (const sig of CRASH_SIGNATURES) {
    const at = lines.findIndex((l) => sig.re.test(l));
    if (at >= 0 && (first === undefined || at < first.at)) first = { at, name: sig.name };
  }
  if (first) return { kind: 'crash', phase: phaseAt(first.at), signature: first.name, lines: lines.slice(Math.max(0, first.at - 2), first.at + 12).map((l) => l.trimEnd()) };
  const resultLine = lines.find((l) => RESULT.test(l));
  if (resultLine) {
    const json = RESULT.exec(resultLine)![1]!;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return { kind: 'bad-result-line', line: resultLine.trim(), problem: 'not valid JSON' };
    }
    if (typeof parsed !== 'object' || parsed === null) return { kind: 'bad-result-line', line: resultLine.trim(), problem: 'not a JSON object' };
    const { verdict, reason, ...rest } = parsed as Record<string, unknown>;
    if (verdict !== 'good' && verdict !== 'bad' && verdict !== 'skip') return { kind: 'bad-result-line', line: resultLine.trim(), problem: "verdict must be 'good', 'bad' or 'skip'" };
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(rest)) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    return { kind: 'result', verdict, metrics, line: resultLine.trim(), ...(typeof reason === 'string' && reason !== '' ? { reason: reason.slice(0, 300) } : {}) };
  }
  const banners = lines.filter((l) => /Linux version \d/.test(l)).length;
  if (banners >= 2) return { kind: 'reboot', phase: lastPhase };
  if (facts.deadlinePassed) return { kind: 'hang', phase: lastPhase };
  return { kind: 'powered-off', phase: lastPhase };
}

/** How outcomes become verdicts; documented defaults follow syzbot and ktest's BISECT_SKIP. */
export interface VerdictPolicy {
  /** A crash before the test started: the commit cannot be tested. @defaultValue 'skip' */
  readonly crashBeforeTest: 'skip' | 'bad';
  /** A crash during the test counts as the bug when the probe says crashes count. @defaultValue false */
  readonly crashesCount: boolean;
  /** No result by the deadline. @defaultValue 'skip' */
  readonly hang: 'skip' | 'bad';
}

export const DEFAULT_VERDICT_POLICY: VerdictPolicy = { crashBeforeTest: 'skip', crashesCount: false, hang: 'skip' };

export type Judgement = { readonly verdict: 'good' | 'bad' | 'skip'; readonly reason: string } | { readonly retry: string };

export function judge(outcome: BootOutcome, policy: VerdictPolicy = DEFAULT_VERDICT_POLICY): Judgement {
  switch (outcome.kind) {
    case 'result':
      return { verdict: outcome.verdict, reason: `test reported ${outcome.verdict}${outcome.reason ? `: ${outcome.reason}` : ''}` };
    case 'crash':
      if (outcome.phase === 'during-test') return { verdict: policy.crashesCount ? 'bad' : 'skip', reason: `${outcome.signature} during the test` };
      return { verdict: policy.crashBeforeTest, reason: `${outcome.signature} ${outcome.phase === 'before-init' ? 'before init' : 'before the test'}` };
    case 'reboot':
      return { verdict: outcome.phase === 'during-test' && policy.crashesCount ? 'bad' : 'skip', reason: `machine rebooted ${outcome.phase.replace('-', ' ')}` };
    case 'hang':
      return { verdict: policy.hang, reason: `no result by the deadline (${outcome.phase.replace('-', ' ')})` };
    case 'powered-off':
      return outcome.phase === 'before-init' ? { retry: 'machine powered off before the kernel reached init' } : { verdict: 'skip', reason: `machine powered off ${outcome.phase.replace('-', ' ')} without a result` };
    case 'bad-result-line':
      return { verdict: 'skip', reason: `unreadable result line (${outcome.problem}): ${outcome.line.slice(0, 120)}` };
  }
}
