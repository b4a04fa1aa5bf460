import { isFullSha, type Verdict } from '@kbisect/bisect';
import { isBisectionId } from '@kbisect/service';
import { apiClientFromEnv, type ApiClient } from '../api-client.js';
import { commitByPrefix } from '../commit-prefix.js';
import { parseOptions } from '../parse-options.js';
import { UsageError } from '../usage-error.js';
import { printNewBisection } from './print-new-bisection.js';
import type { CliIo } from '../cli-io.js';

export const ACTIONS_USAGE = `usage: kbisect cancel <id> [--reason TEXT]          stop a bisection and its running work (maintain)
       kbisect verdict <id> <commit> good|bad|skip [--reason TEXT]
                                                   record a verdict by hand, at any time (maintain)
       kbisect annotate <id> --invalid --reason TEXT
       kbisect annotate <id> --culprit <commit> --reason TEXT
                                                   mark the result invalid, or say which commit the culprit
                                                   is instead, kept with who and why (maintain)
       kbisect retry <id> [--watch [--console]] [--json]
                                                   submit the same request again as a new bisection (submit):
                                                   prints its id, or with --watch follows it and prints the report
<commit> is a sha or a unique prefix of one (4 or more hex digits) in the bisection's range.
Talks to a running API (KBISECT_URL, KBISECT_TOKEN).`;

const HELP = { type: 'boolean', short: 'h' } as const;

function usage(io: CliIo): number {
  io.out(ACTIONS_USAGE);
  return 0;
}

/** The one positional argument of cancel, annotate and retry: a bisection id. */
function onlyBisectionId(command: string, positionals: readonly string[]): string {
  if (positionals.length > 1) throw new UsageError(`kbisect ${command}: unexpected argument '${positionals[1]!}'`);
  return bisectionId(command, positionals[0]);
}

function bisectionId(command: string, id: string | undefined): string {
  if (id === undefined) throw new UsageError(`kbisect ${command}: give the bisection's id`);
  if (!isBisectionId(id)) throw new UsageError(`kbisect ${command}: '${id}' is not a bisection id`);
  return id;
}

function reasonOf(command: string, reason: string | undefined, required: boolean): string | undefined {
  if (reason === undefined) {
    if (required) throw new UsageError(`kbisect ${command}: --reason is required (it is kept with the judgement, and the report shows it)`);
    return undefined;
  }
  // Its length is the API's to judge (one line naming the field).
  if (reason.trim() === '') throw new UsageError(`kbisect ${command}: --reason is empty`);
  return reason;
}

/**
 * The full sha a user named: a full one as given (the API judges it; the
 * range's good ends are not among its commits), a prefix looked up in the
 * bisection's range (GET …/range lists its commits).
 */
async function rangeCommit(client: ApiClient, id: string, given: string, what: string): Promise<string> {
  if (isFullSha(given.toLowerCase())) return given.toLowerCase();
  const { commits } = await client.json<{ commits: string[] }>('GET', `/api/v1/bisections/${id}/range`);
  return commitByPrefix(commits, given, what);
}

/** `kbisect cancel <id> [--reason TEXT]`. */
export async function cancelCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions('cancel', argv, { reason: { type: 'string' }, help: HELP });
  if (values.help) return usage(io);
  const id = onlyBisectionId('cancel', positionals);
  const reason = reasonOf('cancel', values.reason, false);
  await (await apiClientFromEnv(process.env)).request('POST', `/api/v1/bisections/${id}/cancel`, reason !== undefined ? { reason } : {});
  io.out(`cancel requested for ${id}`);
  return 0;
}

const VERDICTS = ['good', 'bad', 'skip'] as const satisfies readonly Verdict[];

/** `kbisect verdict <id> <commit> good|bad|skip [--reason TEXT]`. */
export async function verdictCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions('verdict', argv, { reason: { type: 'string' }, help: HELP });
  if (values.help) return usage(io);
  const [rawId, commit, verdict, extra] = positionals;
  const id = bisectionId('verdict', rawId);
  if (commit === undefined || verdict === undefined) throw new UsageError('kbisect verdict: give the commit and the verdict: kbisect verdict <id> <commit> good|bad|skip');
  if (extra !== undefined) throw new UsageError(`kbisect verdict: unexpected argument '${extra}'`);
  if (!(VERDICTS as readonly string[]).includes(verdict)) throw new UsageError(`kbisect verdict: '${verdict}' is not a verdict (good, bad or skip)`);
  const reason = reasonOf('verdict', values.reason, false);
  const client = await apiClientFromEnv(process.env);
  const sha = await rangeCommit(client, id, commit, 'kbisect verdict: <commit>');
  await client.request('POST', `/api/v1/bisections/${id}/verdicts`, { commit: sha, verdict, ...(reason !== undefined ? { reason } : {}) });
  io.out(`${sha.slice(0, 12)} marked ${verdict} in ${id}`);
  return 0;
}

/** `kbisect annotate <id> --invalid|--culprit <commit> --reason TEXT`. */
export async function annotateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions('annotate', argv, { invalid: { type: 'boolean' }, culprit: { type: 'string' }, reason: { type: 'string' }, help: HELP });
  if (values.help) return usage(io);
  const id = onlyBisectionId('annotate', positionals);
  if ((values.invalid === true) === (values.culprit !== undefined)) throw new UsageError('kbisect annotate: give one of --invalid or --culprit <commit>');
  const reason = reasonOf('annotate', values.reason, true)!;
  const client = await apiClientFromEnv(process.env);
  if (values.culprit !== undefined) {
    const culprit = await rangeCommit(client, id, values.culprit, 'kbisect annotate: --culprit');
    await client.request('POST', `/api/v1/bisections/${id}/annotations`, { kind: 'culprit-override', culprit, reason });
    io.out(`culprit of ${id} overridden to ${culprit.slice(0, 12)}`);
  } else {
    await client.request('POST', `/api/v1/bisections/${id}/annotations`, { kind: 'invalid', reason });
    io.out(`${id} marked invalid`);
  }
  return 0;
}

/** `kbisect retry <id> [--watch [--console]] [--json]`: as `submit` prints a new bisection. */
export async function retryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions('retry', argv, { watch: { type: 'boolean' }, console: { type: 'boolean' }, json: { type: 'boolean' }, help: HELP });
  if (values.help) return usage(io);
  const id = onlyBisectionId('retry', positionals);
  if (values.console && !values.watch) throw new UsageError('kbisect retry: --console needs --watch');
  const client = await apiClientFromEnv(process.env);
  const created = await client.json<{ id: string; retryOf: string }>('POST', `/api/v1/bisections/${id}/retry`);
  return printNewBisection(client, created, io, { watch: values.watch === true, console: values.console === true, json: values.json === true, note: ` (retry of ${id})` });
}
