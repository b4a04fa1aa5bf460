import { STATUSES, type ListItem } from '@kbisect/service';
import { apiClientFromEnv } from '../api-client.js';
import { listLines, nextPageCommand } from '../list-lines.js';
import { parseOptions } from '../parse-options.js';
import { UsageError } from '../usage-error.js';

export const LIST_USAGE = `usage: kbisect list [--status S] [--repo TREE] [--by NAME] [--grep TEXT] [--limit N] [--cursor C] [--json]
  the bisections, newest first: id, status, started, tree, range, submitter, and the
  answer (culprit, "could be any of N", or commits left) with a maintainer's judgement.
  --status ${STATUSES.join('|')}; --grep: text in the culprit's (or a candidate's)
  subject, or a sha prefix; --limit: rows a page (default 20, at most 200); a longer
  list ends with the --cursor of its next page. Needs a read token.`;

/** `kbisect list`: GET /bisections, filtered and paged by the API. */
export async function listCommand(argv: readonly string[], io: { out: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseOptions('list', argv, {
    status: { type: 'string' },
    repo: { type: 'string' },
    by: { type: 'string' },
    grep: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help) {
    io.out(LIST_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`kbisect list: unexpected argument '${positionals[0]!}'`);
  if (values.status !== undefined && !(STATUSES as readonly string[]).includes(values.status)) throw new UsageError(`kbisect list: --status: '${values.status}' is not one of ${STATUSES.join(', ')}`);
  const limit = values.limit ?? '20';
  if (!/^[0-9]{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 200) throw new UsageError(`kbisect list: --limit: '${limit}' is not an integer from 1 to 200`);
  const query = new URLSearchParams({ limit });
  for (const [key, value] of [['status', values.status], ['repo', values.repo], ['submittedBy', values.by], ['q', values.grep], ['cursor', values.cursor]] as const) {
    if (value !== undefined) query.set(key, value);
  }
  const page = await (await apiClientFromEnv(process.env)).json<{ items: ListItem[]; next?: string }>('GET', `/api/v1/bisections?${query.toString()}`);
  if (values.json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  if (page.items.length === 0) io.out('no bisections match');
  for (const line of listLines(page.items)) io.out(line);
  if (page.next !== undefined) io.out(`more: ${nextPageCommand({ status: values.status, repo: values.repo, by: values.by, grep: values.grep, limit: values.limit }, page.next)}`);
  return 0;
}

