import { isAnswered } from '@kbisect/service';
import type { ApiClient } from '../api-client.js';
import { watchBisection } from './watch.js';
import type { CliIo } from '../cli-io.js';


/**
 * What `submit` and `retry` print for the bisection they created: its id (or
 * the API's answer with --json); with --watch, its progress on stderr and
 * then its report (or view JSON). The exit code: 0 unless a watched
 * bisection ended without an answer.
 */
export async function printNewBisection(client: ApiClient, created: { readonly id: string }, io: CliIo, opts: { readonly watch?: boolean; readonly console?: boolean; readonly json?: boolean; readonly note?: string }): Promise<number> {
  if (!opts.watch) {
    io.out(opts.json ? JSON.stringify(created) : created.id);
    return 0;
  }
  io.err(`kbisect: submitted ${created.id}${opts.note ?? ''}`);
  const status = await watchBisection(client, created.id, io, { console: opts.console ?? false });
  if (opts.json) io.out((await client.request('GET', `/api/v1/bisections/${created.id}`)).text);
  else io.out((await client.request('GET', `/api/v1/bisections/${created.id}/report`, undefined, 'text/plain')).text.trimEnd());
  return isAnswered(status) ? 0 : 1;
}
