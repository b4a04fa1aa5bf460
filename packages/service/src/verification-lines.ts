import type { VerificationView } from './shared-schemas.js';

/**
 * The report's verification section in words a mailing-list reply can
 * quote: "the bad end with the culprit reverted: fixed (0 of 1 runs fail;
 * 1 of 1 without the revert)".
 */
type Check = NonNullable<VerificationView['culprit']>;
type Revert = NonNullable<VerificationView['revert']>;

const runs = (failures: number, total: number): string => `${failures} of ${total} run${total === 1 ? '' : 's'} fail`;

const evidenceOf = (v: { evidence?: string; buildEvidence?: string }): string => {
  const names = [v.evidence, v.buildEvidence].filter((n): n is string => n !== undefined);
  return names.length > 0 ? `; evidence: ${names.join(', ')}` : '';
};

const check = (what: string, v: Check): string => `${what}: ${v.outcome === 'confirmed' ? 'yes' : 'NO'} (${runs(v.failures, v.runs)})`;

function revert(v: Revert): string {
  if (v.outcome === 'unavailable') return `the bad end with the culprit reverted: not tested (${v.reason})`;
  return `the bad end with the culprit reverted: ${v.outcome} (${runs(v.failures, v.runs)}; ${v.baselineFailures} of ${v.baselineRuns} without the revert${v.pValue < 1 ? `, p = ${v.pValue.toPrecision(2)}` : ''})${evidenceOf(v)}`;
}

export function verificationLines(verification: VerificationView): string[] {
  return [
    ...(verification.culprit ? [check('the culprit shows the bug again', verification.culprit)] : []),
    ...(verification.parents ? [check('its parent(s) stay clean', verification.parents)] : []),
    ...(verification.revert ? [revert(verification.revert)] : []),
  ].map((line) => `  ${line}`);
}
