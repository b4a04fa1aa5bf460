import { normalizePolicy } from '@kbisect/bisect';
import type { BisectionOptions } from '@kbisect/service';
import { policyFromOptions } from '@kbisect/service/driver';
import { UsageError } from './usage-error.js';

/** How runs become decisions, and what is searched for: the same flags for `run` (local) and `submit` (remote). */
export const POLICY_OPTIONS = {
  policy: { type: 'string' },
  confidence: { type: 'string' },
  'max-runs': { type: 'string' },
  detection: { type: 'string' },
  'false-positive': { type: 'string' },
  'bad-after': { type: 'string' },
  'good-after': { type: 'string' },
  fix: { type: 'boolean' },
} as const;

export const POLICY_USAGE = `  --policy deterministic|repeat|bayes  how runs become decisions (bayes or repeat for a flaky test)
  --confidence P          bayes: stop when one commit holds this posterior (default 0.99)
  --max-runs N            bayes: run budget (default 300)
  --detection P           bayes: chance one run on a bad commit shows the bug (estimated when absent)
  --false-positive P      bayes: chance one run on a good commit shows it anyway (default 0)
  --bad-after K           repeat: bad after K failing runs (default 1)
  --good-after N          repeat: good after N clean runs (default 10)
  --fix                   find the first commit that FIXES the bug: --bad has the bug, --good is a later commit without it`;

type PolicyValues = { readonly [K in keyof typeof POLICY_OPTIONS]?: (typeof POLICY_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

// The engine names policy fields; the user typed flags.
const FLAG_OF: Readonly<Record<string, string>> = { badAfter: 'bad-after', goodAfter: 'good-after', maxRuns: 'max-runs', falsePositive: 'false-positive', confidence: 'confidence', detection: 'detection' };

/**
 * The request options these flags ask for, checked by the engine's own
 * policy validation; an error names the flag. The local run and the service
 * then turn them into a policy with the same function (policyFromOptions).
 */
type PolicyOptions = Pick<BisectionOptions, 'policy' | 'confidence' | 'maxRuns' | 'detection' | 'falsePositive' | 'badAfter' | 'goodAfter' | 'terms'>;
const POLICIES = ['deterministic', 'repeat', 'bayes'] as const;
const isPolicy = (p: string): p is (typeof POLICIES)[number] => (POLICIES as readonly string[]).includes(p);

export function policyOptionsFrom(command: string, values: PolicyValues): PolicyOptions {
  const num = (flag: keyof typeof POLICY_OPTIONS): number | undefined => {
    const value = values[flag];
    if (typeof value !== 'string') return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`kbisect ${command}: --${flag}: '${value}' is not a number`);
    return n;
  };
  const kind = values.policy ?? 'deterministic';
  if (!isPolicy(kind)) throw new UsageError(`kbisect ${command}: --policy: '${kind}' is not one of deterministic, repeat, bayes`);
  const given = { confidence: num('confidence'), maxRuns: num('max-runs'), detection: num('detection'), falsePositive: num('false-positive'), badAfter: num('bad-after'), goodAfter: num('good-after') };
  const applies = kind === 'bayes' ? ['confidence', 'maxRuns', 'detection', 'falsePositive'] : kind === 'repeat' ? ['badAfter', 'goodAfter'] : [];
  for (const [field, value] of Object.entries(given)) {
    if (value !== undefined && !applies.includes(field)) throw new UsageError(`kbisect ${command}: --${FLAG_OF[field]} needs --policy ${field === 'badAfter' || field === 'goodAfter' ? 'repeat' : 'bayes'}`);
  }
  const options: { -readonly [K in keyof PolicyOptions]: PolicyOptions[K] } = {};
  if (kind !== 'deterministic') options.policy = kind;
  for (const [field, value] of Object.entries(given) as [keyof typeof given, number | undefined][]) if (value !== undefined) options[field] = value;
  if (values.fix) options.terms = 'fix';
  const checked = normalizePolicy(policyFromOptions(options));
  if (typeof checked === 'string') {
    const field = /^policy\.(\w+)/.exec(checked)?.[1] ?? '';
    throw new UsageError(`kbisect ${command}: --${FLAG_OF[field] ?? field}${checked.slice(`policy.${field}`.length)}`);
  }
  return options;
}
