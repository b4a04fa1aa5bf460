import { Type, type Static } from '@sinclair/typebox';
import { UntestableModeSchema } from './untestable-mode.js';

/**
 * A git revision as users may name it. Anything starting with `-` would be an
 * option to git; the pattern refuses it, along with spaces and control
 * characters, before the request is even queued.
 */
export const RefSchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^(?!-)[A-Za-z0-9_./@{}~^+-]+$',
  description: "A commit, tag or branch (e.g. v4.4, HEAD~3, a sha); never starting with '-'.",
});

export const ConfigSymbolSchema = Type.String({ pattern: '^CONFIG_[A-Za-z0-9_]+$', maxLength: 128, description: 'A kernel config symbol, e.g. CONFIG_TRANSPARENT_HUGEPAGE' });

export const CommandProbeSchema = Type.Object(
  {
    type: Type.Literal('command'),
    command: Type.String({ minLength: 1, maxLength: 4096, description: "Shell command run in the commit's worktree; git bisect run's exit-code protocol." }),
    timeoutSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'Per-run timeout; a timed-out run is an infrastructure failure and is retried.' })),
    untestable: Type.Optional(UntestableModeSchema),
    network: Type.Optional(Type.Boolean({ description: "Run the command with the worker's network instead of none (default false). Needs a token allowed to (`network` in its entry, or admin) and a worker that allows it (KBISECT_PROBE_NETWORK=allow); otherwise refused." })),
  },
  { additionalProperties: false },
);

/** Build the commit's kernel with these fragments, boot it on a machine of `pool` and run the reproducer in its initramfs. */
export const KernelProbeSchema = Type.Object(
  {
    type: Type.Literal('kernel'),
    configFragments: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]+$', maxLength: 64 }), { maxItems: 32, description: 'Names of fragments in kernel-configs/' }),
    requireConfig: Type.Optional(Type.Array(ConfigSymbolSchema, { maxItems: 64 })),
    untestable: Type.Optional(UntestableModeSchema),
    pool: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    reproducer: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
        args: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 32 })),
        timeoutSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
        crashesCount: Type.Optional(Type.Boolean({ description: 'A kernel crash during the test counts as bad.' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ProbeSchema = Type.Union([CommandProbeSchema, KernelProbeSchema]);

export const BisectionOptionsSchema = Type.Object(
  {
    firstParent: Type.Optional(Type.Boolean({ default: false })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'Retries of a step after an infrastructure failure (never after a verdict).' })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Lower runs first.' })),
    requireConfig: Type.Optional(Type.Array(ConfigSymbolSchema, { maxItems: 64, description: 'Commits where these symbols cannot be enabled are stepped around.' })),
    policy: Type.Optional(Type.Union([Type.Literal('deterministic'), Type.Literal('repeat'), Type.Literal('bayes')], { description: 'How runs become decisions; bayes for flaky reproducers.' })),
    confidence: Type.Optional(Type.Number({ exclusiveMinimum: 0.5, exclusiveMaximum: 1, description: 'bayes: stop when one commit holds this posterior (default 0.99).' })),
    maxRuns: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'bayes: run budget (default 300).' })),
    detection: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'bayes: chance one run on a bad commit shows the bug; estimated when absent.' })),
    falsePositive: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 0.5, description: 'bayes: chance one run on a good commit shows the bug anyway (default 0).' })),
    badAfter: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'repeat: bad after this many failing runs (default 1).' })),
    goodAfter: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'repeat: good after this many clean runs (default 10).' })),
    checkEndpoints: Type.Optional(Type.Boolean({ description: 'Test the good and bad ends before the first step (with the run policy); stop with the reason when the good end fails or the bad end passes. On unless turned off.' })),
    verify: Type.Optional(Type.Boolean({ description: 'Re-test the culprit and its parent after the search.' })),
    verifyRevert: Type.Optional(Type.Boolean({ description: 'Also test the bad end with the culprit reverted and compare failure rates.' })),
    maxParallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'An upper bound on the tests of one bisection at once. Each round takes as many as the pool has ready machines (command probes: live test worker slots), up to this; unset, up to 64. Deterministic: points that cut the candidates into equal parts (multisection); bayes: the batch expected to teach the most together; repeat: a few commits with several runs each. 1 is git\'s path.' })),
    reuse: Type.Optional(Type.Boolean({ default: true, description: 'Take verdicts of earlier bisections with the same probe fingerprint (tree, config, toolchain, reproducer, pool) from the shared cache, and share a test another running bisection is doing. false tests every run here.' })),
    buildAhead: Type.Optional(Type.Boolean({ description: "Kernel probes: while a kernel is tested, build the kernels its good and its bad verdict would ask for next, at low priority on idle build slots, dropped once moot (default true; a worker's KBISECT_BUILD_AHEAD=off turns it off for every bisection)." })),
    terms: Type.Optional(Type.Union([Type.Literal('regression'), Type.Literal('fix')], { description: "'fix' finds the first commit where the bug is gone: `bad` is a commit with the bug, `good` (exactly one) a later one without it. Default 'regression'." })),
  },
  { additionalProperties: false },
);

export const BisectionRequestSchema = Type.Object(
  {
    repo: Type.String({ minLength: 1, maxLength: 2048, description: "A registered tree's name (GET /api/v1/trees) or its exact repo; an https/git/ssh URL only where the deployment allows open URLs (KBISECT_OPEN_REPOS)." }),
    good: Type.Array(RefSchema, { minItems: 1, maxItems: 16, description: "Commits without the bug (a fix bisection: the one later commit without it). On submission, good and bad may be left out where importLog's start line names them." }),
    bad: RefSchema,
    probe: ProbeSchema,
    options: Type.Optional(BisectionOptionsSchema),
    importLog: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000_000, description: "A `git bisect log` of a bisection begun by hand: its good/bad/skip marks are applied before the first step, so the service carries on where it stopped." })),
  },
  { additionalProperties: false },
);

/**
 * What POST /bisections takes: a request whose `good` and `bad` may be left
 * out when `importLog` is given and its start names them (as `kbisect run
 * --import-log` takes them). The API fills them in before anything is
 * stored, so every stored request has its ends.
 */
export const BisectionSubmissionSchema = Type.Object(
  {
    ...BisectionRequestSchema.properties,
    good: Type.Optional(BisectionRequestSchema.properties.good),
    bad: Type.Optional(BisectionRequestSchema.properties.bad),
  },
  { additionalProperties: false },
);

export type BisectionRequest = Static<typeof BisectionRequestSchema>;
export type BisectionSubmission = Static<typeof BisectionSubmissionSchema>;
export type CommandProbe = Static<typeof CommandProbeSchema>;
export type KernelProbe = Static<typeof KernelProbeSchema>;
export type BisectionOptions = Static<typeof BisectionOptionsSchema>;
