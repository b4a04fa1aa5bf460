/**
 * The report's verification section in words a mailing-list reply can
 * quote: "the bad end with the culprit reverted: fixed (0 of 1 runs fail;
 * 1 of 1 without the revert)". Parts it does not know are printed as JSON.
 */
type Part = Record<string, unknown>;

const runs = (failures: unknown, total: unknown): string => `${String(failures)} of ${String(total)} run${total === 1 ? '' : 's'} fail`;

const evidenceOf = (v: Part): string => {
  const names = [v.evidence, v.buildEvidence].filter((n): n is string => typeof n === 'string');
  return names.length > 0 ? `; evidence: ${names.join(', ')}` : '';
};

function describe(what: string, v: Part): string {
  switch (what) {
    case 'culprit':
      return `the culprit shows the bug again: ${v.outcome === 'confirmed' ? 'yes' : 'NO'} (${runs(v.failures, v.runs)})`;
    case 'parents':
      return `its parent(s) stay clean: ${v.outcome === 'confirmed' ? 'yes' : 'NO'} (${runs(v.failures, v.runs)})`;
    case 'revert':
      if (v.outcome === 'unavailable') return `the bad end with the culprit reverted: not tested (${String(v.reason)})`;
      return `the bad end with the culprit reverted: ${String(v.outcome)} (${runs(v.failures, v.runs)}; ${String(v.baselineFailures)} of ${String(v.baselineRuns)} without the revert${typeof v.pValue === 'number' && v.pValue < 1 ? `, p = ${v.pValue.toPrecision(2)}` : ''})${evidenceOf(v)}`;
    default:
      return `${what}: ${JSON.stringify(v)}`;
  }
}

export function verificationLines(verification: Record<string, unknown>): string[] {
  return Object.entries(verification).map(([what, v]) => `  ${typeof v === 'object' && v !== null ? describe(what, v as Part) : `${what}: ${JSON.stringify(v)}`}`);
}
