import { TREE_NAME_PATTERN, type TreeDefaults, type TreeRead } from '@kbisect/service';
import { apiClientFromEnv, type ApiClient } from '../api-client.js';
import { readLogFile } from '../import-log-file.js';
import { POLICY_OPTIONS, POLICY_USAGE, policyOptionsFrom } from '../policy-flags.js';
import { RANGE_OPTIONS, rangeEnds } from '../range-options.js';
import { parallelFrom } from '../parallel-flag.js';
import { parseOptions, requireOption } from '../parse-options.js';
import { untestableFlag } from '../untestable-flag.js';
import { UsageError } from '../usage-error.js';
import { printNewBisection } from './print-new-bisection.js';

export const SUBMIT_USAGE = `usage: kbisect submit --repo <tree> --good <ref> [--good <ref>…] --bad <ref>
                     (--test-cmd '<shell>' [--network] | --reproducer NAME --pool POOL --config FRAGMENT…)
                     [--first-parent] [--retries N] [--priority N] [--skip-endpoint-check] [--verify] [--verify-revert]
                     [--parallel K] [--no-reuse]
                     [--policy deterministic|repeat|bayes] [--confidence P] [--max-runs N] [--detection P]
                     [--false-positive P] [--bad-after K] [--good-after N] [--fix] [--import-log FILE]
                     [--watch [--console]] [--json]
--repo names a registered tree (kbisect trees), or its exact URL or path; a
kernel probe may leave out --config and --pool where the tree has defaults.
What run takes, the service takes:
${POLICY_USAGE}
  --import-log FILE       a \`git bisect log\` begun by hand: the service carries on from its marks,
                          on the log's own start (its good and bad ends, --first-parent): --good/--bad
                          may then be omitted, and ends that contradict its start are refused
  --parallel K            at most K tests of this bisection at once (options.maxParallel; any policy);
                          unset, each round takes as many as the lab has ready (machines, or test
                          worker slots); 1 is git's path. Deterministic: multisection; bayes: a batch
                          chosen for the most information together; repeat: runs shared over commits
  --no-reuse              test every run here: take no verdict from earlier bisections with the same
                          probe, share no test with a running one (options.reuse: false)
  --network               run --test-cmd with the worker's network (probe.network); needs a token
                          allowed to (its \`network\` permission, or admin) and workers with
                          KBISECT_PROBE_NETWORK=allow, else refused. Without it a probe has none
Kernel probes (build, boot on a lab machine, run a reproducer):
  --config FRAGMENT       a kernel-configs/ fragment (repeatable), e.g. qemu-x86_64
  --require-config CONFIG_X  commits where it cannot be enabled are untestable (repeatable)
  --untestable skip|force|narrow  step around them, build them all with BROKEN dropped,
                             or step around them and then build only the candidates left
                             with BROKEN dropped, reporting that forced answer beside the
                             honest one (narrow: the service's default for kernel probes)
  --pool POOL             the machine pool to boot on
  --reproducer NAME       vfio-pin-check | boot
  --reproducer-arg ARG    passed to the reproducer (repeatable), e.g. --reproducer-arg=--mode=fork
  --timeout SEC           deadline from power-on to the result line
  --crashes-count         a kernel crash during the test counts as bad
  --no-build-ahead        do not build the next kernels while one is tested (options.buildAhead: false)
--require-config and --untestable apply to --test-cmd too (a forced run's
worktree gets the BROKEN dependency dropped before the command runs).
The service tests the good and bad ends before the first step (the bisection
stops with the reason when the good end fails or the bad end passes);
--skip-endpoint-check turns that off. --verify re-tests the culprit and its
parent after the search; --verify-revert also tests the bad end with the
culprit reverted (for a kernel probe: a kernel built with the revert).
Talks to a running API (KBISECT_URL, KBISECT_TOKEN).`;

const OPTIONS = {
  ...RANGE_OPTIONS,
  retries: { type: 'string' },
  priority: { type: 'string' },
  watch: { type: 'boolean' },
  console: { type: 'boolean' },
  json: { type: 'boolean' },
  config: { type: 'string', multiple: true },
  'require-config': { type: 'string', multiple: true },
  untestable: { type: 'string' },
  pool: { type: 'string' },
  reproducer: { type: 'string' },
  'reproducer-arg': { type: 'string', multiple: true },
  timeout: { type: 'string' },
  'crashes-count': { type: 'boolean' },
  'skip-endpoint-check': { type: 'boolean' },
  'no-build-ahead': { type: 'boolean' },
  verify: { type: 'boolean' },
  'verify-revert': { type: 'boolean' },
  ...POLICY_OPTIONS,
  'import-log': { type: 'string' },
  parallel: { type: 'string' },
  'no-reuse': { type: 'boolean' },
  network: { type: 'boolean' },
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
  // With --import-log the log's start may supply the ends: the service fills them in, as run does.
  const { good, bad } = rangeEnds('submit', values);
  const retries = intOption('retries', values.retries);
  const priority = intOption('priority', values.priority);
  const policy = policyOptionsFrom('submit', values);
  const parallel = parallelFrom('submit', values.parallel);
  const importLog = values['import-log'] !== undefined ? await readLogFile('submit', values['import-log']) : undefined;
  const repo = requireOption('submit', 'repo', values.repo);
  const client = await apiClientFromEnv(process.env);
  const body = {
    repo,
    ...(good.length > 0 ? { good } : {}),
    ...(bad !== undefined ? { bad } : {}),
    probe: probeFrom(values, values.reproducer !== undefined ? await treeDefaults(client, repo) : undefined),
    ...(importLog !== undefined ? { importLog } : {}),
    options: {
      ...policy,
      ...(values['first-parent'] ? { firstParent: true } : {}),
      ...(retries !== undefined ? { retries } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(values['skip-endpoint-check'] ? { checkEndpoints: false } : {}),
      ...(values.parallel !== undefined ? { maxParallel: parallel } : {}),
      ...(values['no-reuse'] ? { reuse: false } : {}),
      ...(values['no-build-ahead'] ? { buildAhead: false } : {}),
      ...(values.verify || values['verify-revert'] ? { verify: true } : {}),
      ...(values['verify-revert'] ? { verifyRevert: true } : {}),
      // A command probe's required symbols are the bisection's (a kernel probe carries its own).
      ...(values.reproducer === undefined && values['require-config'] ? { requireConfig: values['require-config'] } : {}),
    },
  };
  const created = await client.json<{ id: string }>('POST', '/api/v1/bisections', body);
  return printNewBisection(client, created, io, { watch: values.watch === true, console: values.console === true, json: values.json === true });
}

/** The kernel-probe defaults of the tree `repo` names, if it names one (a reader may list trees). */
async function treeDefaults(client: ApiClient, repo: string): Promise<TreeDefaults | undefined> {
  if (!new RegExp(TREE_NAME_PATTERN).test(repo)) return undefined;
  const res = await client.request('GET', `/api/v1/trees/${repo}`).catch(() => undefined);
  return res ? (JSON.parse(res.text) as TreeRead).defaults : undefined;
}

/** Exactly one probe; a kernel probe leaves out what the tree's defaults supply (no --config without them: tinyconfig alone). */
function probeFrom(values: { 'test-cmd'?: string; network?: boolean; reproducer?: string; pool?: string; config?: string[]; 'require-config'?: string[]; untestable?: string; 'reproducer-arg'?: string[]; timeout?: string; 'crashes-count'?: boolean }, defaults?: TreeDefaults): Record<string, unknown> {
  if (values['test-cmd'] !== undefined && values.reproducer !== undefined) throw new UsageError('kbisect submit: give --test-cmd or --reproducer, not both');
  untestableFlag('submit', values.untestable);
  if (values.reproducer === undefined) {
    if (values.untestable !== undefined && values.untestable !== 'skip' && !values['require-config']) throw new UsageError(`kbisect submit: --untestable ${values.untestable} needs --require-config`);
    return { type: 'command', command: requireOption('submit', 'test-cmd', values['test-cmd']), ...(values.untestable ? { untestable: values.untestable } : {}), ...(values.network ? { network: true } : {}) };
  }
  // A kernel probe's reproducer runs on a lab machine, not in the worker's sandbox: there is no network to give it.
  if (values.network) throw new UsageError('kbisect submit: --network applies to --test-cmd only (a kernel probe runs on a lab machine)');
  const timeoutSec = intOption('timeout', values.timeout);
  return {
    type: 'kernel',
    ...(values.config !== undefined || defaults?.configFragments === undefined ? { configFragments: values.config ?? [] } : {}),
    ...(values.pool !== undefined || defaults?.pool === undefined ? { pool: requireOption('submit', 'pool', values.pool) } : {}),
    ...(values['require-config'] ? { requireConfig: values['require-config'] } : {}),
    ...(values.untestable ? { untestable: values.untestable } : {}),
    reproducer: {
      name: values.reproducer,
      ...(values['reproducer-arg'] ? { args: values['reproducer-arg'] } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec } : {}),
      ...(values['crashes-count'] ? { crashesCount: true } : {}),
    },
  };
}
