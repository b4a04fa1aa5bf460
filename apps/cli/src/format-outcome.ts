import type { BisectResult } from '@kbisect/bisect';
import { counted } from './counted.js';

export interface CommitInfoSource {
  commitInfo(shas: readonly string[]): Promise<ReadonlyMap<string, { readonly subject: string; readonly authorName: string; readonly authorEmail: string; readonly authorDate: string }>>;
}

/** The human summary printed after a run, in the words `git bisect` uses. */
export async function formatOutcome(result: BisectResult, repo: CommitInfoSource, terms: 'regression' | 'fix' = 'regression'): Promise<string> {
  // git's words for a fix search (--term-new=fixed).
  const first = terms === 'fix' ? 'first fixed commit' : 'first bad commit';
  const skipped = result.verdicts.filter((v) => v.source === 'untestable').length;
  const tail = `\n${counted(result.steps, 'commit')} tested${skipped ? `; ${counted(skipped, 'untestable commit')} stepped around without a build` : ''}.`;
  if (result.status === 'found' && result.culprit) {
    const info = (await repo.commitInfo([result.culprit])).get(result.culprit);
    const lines = [`${result.culprit} is the ${first}`];
    if (info) lines.push(`Author: ${info.authorName} <${info.authorEmail}>`, `Date:   ${info.authorDate}`, '', `    ${info.subject}`);
    return lines.join('\n') + '\n' + tail;
  }
  if (result.status === 'ambiguous' && result.candidates) {
    const infos = await repo.commitInfo(result.candidates);
    const reasons = new Map(result.verdicts.filter((v) => v.verdict === 'skip').map((v) => [v.commit, v.reason]));
    const lines = ["There are only 'skip'ped commits left to test.", `The ${first} could be any of:`];
    for (const c of result.candidates) {
      const why = reasons.get(c);
      lines.push(`${c} ${infos.get(c)?.subject ?? ''}${why ? `  [${why}]` : ''}`);
    }
    return lines.join('\n') + '\n' + (await formatNarrowed(result, repo, first)) + tail;
  }
  return `bisection ${result.status}${result.error ? `: ${result.error}` : ''}` + tail;
}

/** The forced answer of `--untestable narrow`, printed after the honest one and marked as forced. */
async function formatNarrowed(result: BisectResult, repo: CommitInfoSource, first: string): Promise<string> {
  const n = result.narrowed;
  if (!n) return '';
  const how = `${n.forced.join(', ')} with its BROKEN dependency dropped`;
  const head = `\nNarrowed among those candidates by building them forced (${how}), ${counted(n.steps, 'forced test')}:`;
  const shas = n.culprit ? [n.culprit] : [...(n.candidates ?? [])];
  const infos = await repo.commitInfo(shas);
  if (n.culprit) return `${head}\n${n.culprit} is the ${first} (forced)\n    ${infos.get(n.culprit)?.subject ?? ''}\n`;
  return `${head}\nforced builds left it ambiguous too; the ${first} (forced) could be any of:\n${shas.map((c) => `${c} ${infos.get(c)?.subject ?? ''}`).join('\n')}\n`;
}
