import { apiClientFromEnv } from '../api-client.js';
import { RANGE_OPTIONS } from '../range-options.js';
import { parseOptions, requireOption } from '../parse-options.js';
import { UsageError } from '../usage-error.js';
import { watchBisection } from './watch.js';

export const SUBMIT_USAGE = `usage: kbisect submit --repo <path|url> --good <ref> [--good <ref>…] --bad <ref> --test-cmd '<shell>'
                     [--first-parent] [--retries N] [--priority N] [--watch] [--json]
Talks to a running API (KBISECT_URL, KBISECT_TOKEN).`;

const OPTIONS = {
  ...RANGE_OPTIONS,
  retries: { type: 'string' },
  priority: { type: 'string' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`kbisect submit: --${name}: '${value}' is not an integer`);
  return n;
}

export async function submitCommand(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void; isTty: boolean }): Promise<number> {
  const { values, positionals } = parseOptions('submit', argv, OPTIONS);
  if (values.help) {
    io.out(SUBMIT_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`kbisect submit: unexpected argument '${positionals[0]}'`);
  const good = values.good ?? [];
  if (good.length === 0) throw new UsageError('kbisect submit: --good is required');
  const retries = intOption('retries', values.retries);
  const priority = intOption('priority', values.priority);
  const body = {
    repo: requireOption('submit', 'repo', values.repo),
    good,
    bad: requireOption('submit', 'bad', values.bad),
    probe: { type: 'command', command: requireOption('submit', 'test-cmd', values['test-cmd']) },
    options: {
      ...(values['first-parent'] ? { firstParent: true } : {}),
      ...(retries !== undefined ? { retries } : {}),
      ...(priority !== undefined ? { priority } : {}),
    },
  };
  const client = await apiClientFromEnv(process.env);
  const created = await client.json<{ id: string }>('POST', '/api/v1/bisections', body);
  if (!values.watch) {
    io.out(values.json ? JSON.stringify(created) : created.id);
    return 0;
  }
  io.err(`kbisect: submitted ${created.id}`);
  const status = await watchBisection(client, created.id, io);
  if (values.json) io.out((await client.request('GET', `/api/v1/bisections/${created.id}`)).text);
  else io.out((await client.request('GET', `/api/v1/bisections/${created.id}/report`, undefined, 'text/plain')).text.trimEnd());
  return status === 'found' || status === 'ambiguous' ? 0 : 1;
}
