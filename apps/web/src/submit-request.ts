import type { BisectionOptions, BisectionSubmission } from '@kbisect/service';

/** The submit form's values by control name: text fields as typed, check boxes as booleans. */
export type FormValues = Readonly<Record<string, string | boolean | undefined>>;

const words = (v: string | boolean | undefined): string[] => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : []);
const lines = (v: string | boolean | undefined): string[] => (typeof v === 'string' ? v.split('\n').map((s) => s.trim()).filter(Boolean) : []);
const text = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
/** A number as typed; a non-number is sent as is, so the API names the field and the reason. */
const num = (v: string | boolean | undefined): number | undefined => {
  const t = text(v);
  return t === undefined ? undefined : Number(t);
};

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * The POST /bisections body the form says, field for field what `kbisect
 * submit` would send; checking it is the API's job (its field errors are
 * shown next to the controls).
 */
export function requestFromForm(f: FormValues): BisectionSubmission {
  const requireConfig = words(f.requireConfig);
  const untestable = text(f.untestable) as 'skip' | 'force' | 'narrow' | undefined;
  const probe: BisectionSubmission['probe'] = f.probeType === 'kernel'
    ? {
      type: 'kernel',
      configFragments: words(f.configFragments),
      pool: text(f.pool) ?? '',
      reproducer: {
        name: text(f.reproducer) ?? '',
        ...optional('args', lines(f.reproducerArgs).length > 0 ? lines(f.reproducerArgs) : undefined),
        ...optional('timeoutSec', num(f.timeoutSec)),
        ...(f.crashesCount === true ? { crashesCount: true } : {}),
      },
      ...optional('requireConfig', requireConfig.length > 0 ? requireConfig : undefined),
      ...optional('untestable', untestable),
    }
    : { type: 'command', command: typeof f.command === 'string' ? f.command : '', ...optional('timeoutSec', num(f.timeoutSec)), ...optional('untestable', untestable) };
  const policy = text(f.policy) as BisectionOptions['policy'];
  const options: BisectionOptions = {
    ...(f.firstParent === true ? { firstParent: true } : {}),
    ...optional('retries', num(f.retries)),
    ...optional('priority', num(f.priority)),
    ...(f.probeType !== 'kernel' && requireConfig.length > 0 ? { requireConfig } : {}),
    ...optional('policy', policy),
    ...optional('confidence', num(f.confidence)),
    ...optional('maxRuns', num(f.maxRuns)),
    ...optional('detection', num(f.detection)),
    ...optional('falsePositive', num(f.falsePositive)),
    ...optional('badAfter', num(f.badAfter)),
    ...optional('goodAfter', num(f.goodAfter)),
    ...(f.skipEndpointCheck === true ? { checkEndpoints: false } : {}),
    ...(f.verify === true ? { verify: true } : {}),
    ...(f.verifyRevert === true ? { verify: true, verifyRevert: true } : {}),
    ...(f.fix === true ? { terms: 'fix' as const } : {}),
  };
  return {
    repo: text(f.repo) ?? '',
    // Left out when empty: with an imported log, the log's start names the ends (else the API says which is missing).
    ...optional('good', words(f.good).length > 0 ? words(f.good) : undefined),
    ...optional('bad', text(f.bad)),
    probe,
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...optional('importLog', text(f.importLog)),
  };
}

/** The form control an API error's field belongs to: the longest control name its path starts with. */
export function controlForField(field: string, names: readonly string[]): string | undefined {
  const path = field.replace(/^body\./, '');
  const hits = names.filter((n) => path === n || path.startsWith(`${n}.`));
  return hits.sort((a, b) => b.length - a.length)[0];
}
