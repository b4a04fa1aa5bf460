import { isBisectionId } from '@kbisect/service';
import { apiClientFromEnv } from '../api-client.js';
import { parseOptions } from '../parse-options.js';
import { UsageError } from '../usage-error.js';

/** `kbisect log <id>`: print what the API renders, unchanged (`report` has its own command). */
export async function remoteTextCommand(kind: 'log', argv: readonly string[], io: { out: (s: string) => void }): Promise<number> {
  const { positionals } = parseOptions(kind, argv, {});
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(`usage: kbisect ${kind} <id>`);
  if (!isBisectionId(id)) throw new UsageError(`kbisect ${kind}: '${id}' is not a bisection id`);
  const client = await apiClientFromEnv(process.env);
  const res = await client.request('GET', `/api/v1/bisections/${id}/${kind}`, undefined, 'text/plain');
  io.out(res.text.trimEnd());
  return 0;
}
