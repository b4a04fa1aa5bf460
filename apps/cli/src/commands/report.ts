import { isBisectionId } from '@kbisect/service';
import { apiClientFromEnv } from '../api-client.js';
import { parseOptions } from '../parse-options.js';
import { UsageError } from '../usage-error.js';

export const REPORT_USAGE = `kbisect report <id> [--mail [--from ADDR] [--to ADDR]… [--cc ADDR]… [--in-reply-to MSGID]]
  without --mail: the plain-text report; with --mail: the whole mail (mbox) for
  git send-email or mutt, To/Cc from the tree's get_maintainer.pl plus the
  regressions list and the addresses given`;

/** `kbisect report <id> [--mail …]`: print what the API renders, unchanged. */
export async function reportCommand(argv: readonly string[], io: { out: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseOptions('report', argv, {
    mail: { type: 'boolean' },
    from: { type: 'string' },
    to: { type: 'string', multiple: true },
    cc: { type: 'string', multiple: true },
    'in-reply-to': { type: 'string' },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(`usage: ${REPORT_USAGE.split('\n')[0]!}`);
  if (!isBisectionId(id)) throw new UsageError(`kbisect report: '${id}' is not a bisection id`);
  const mailOnly = ['from', 'to', 'cc', 'in-reply-to'].filter((k) => values[k as keyof typeof values] !== undefined);
  if (!values.mail && mailOnly.length > 0) throw new UsageError(`kbisect report: --${mailOnly[0]!} needs --mail`);
  const query = new URLSearchParams();
  if (values.mail) {
    query.set('format', 'mbox');
    if (values.from !== undefined) query.set('from', values.from);
    for (const a of values.to ?? []) query.append('to', a);
    for (const a of values.cc ?? []) query.append('cc', a);
    if (values['in-reply-to'] !== undefined) query.set('inReplyTo', values['in-reply-to']);
  }
  const client = await apiClientFromEnv(process.env);
  const res = await client.request('GET', `/api/v1/bisections/${id}/report${values.mail ? `?${query.toString()}` : ''}`, undefined, values.mail ? 'application/mbox' : 'text/plain');
  io.out(res.text.trimEnd());
  return 0;
}
