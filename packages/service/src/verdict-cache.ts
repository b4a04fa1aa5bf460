import type { Redis } from 'ioredis';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Keys } from './keys.js';
import { ReusedSchema } from './shared-schemas.js';

/**
 * One run of a commit as another bisection may take it: the run as it was
 * tested there (ReusedSchema: bisection, run, purpose, evidence names), its
 * verdict, and the numbers and machine a reused verdict carries along.
 */
export const CachedRunSchema = Type.Object({
  ...ReusedSchema.properties,
  verdict: Type.Union([Type.Literal('good'), Type.Literal('bad')]),
  reason: Type.String(),
  at: Type.String(),
  metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
  machine: Type.Optional(Type.String()),
});
export type CachedRun = Static<typeof CachedRunSchema>;

/** The (commit, fingerprint, run index) one cached run answers; `revert` when the kernel had a commit reverted on top (another kernel: runs of its own). */
export interface RunSlot {
  readonly fingerprint: string;
  readonly commit: string;
  readonly run: number;
  readonly revert?: string;
}

/** What asking to test a run found: the cache has it, this bisection may test it, or another bisection is testing it. */
export type Claim = { readonly kind: 'cached'; readonly run: CachedRun } | { readonly kind: 'mine' } | { readonly kind: 'shared'; readonly from: string };

// Cached by another bisection → the entry; free or ours → ours (TTL renewed); another's → join its waiters.
// A bisection's own cached run is not handed back to it: its log has it already, so asking again means it wants
// a new test (a verification re-tests what its own search tested). An entry that does not decode is returned for the caller to drop.
const CLAIM = `
local cached = redis.call('HGET', KEYS[1], ARGV[1])
if cached then
  local ok, entry = pcall(cjson.decode, cached)
  if not ok or type(entry) ~= 'table' or entry.bisection ~= ARGV[2] then return {'cached', cached} end
end
local holder = redis.call('GET', KEYS[2])
if not holder or holder == ARGV[2] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  redis.call('SADD', KEYS[4], ARGV[4])
  return {'mine', ''}
end
redis.call('SADD', KEYS[3], ARGV[2])
return {'shared', holder}
`;

// Only the holder releases; the waiters are handed back to be woken, whoever released.
// A claim that lapsed unrenewed still hands its waiters back: nobody else would ever wake them.
// (Another bisection holding the run now keeps them: its release wakes them.)
const RELEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('DEL', KEYS[1]) elseif holder then return {} end
local waiters = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return waiters
`;

// A claim passes to the asker only while the bisection named as holding it still does (it ended without letting go).
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SREM', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[4])
return 1
`;

// An entry leaves only if the invalidated bisection wrote it (a later test of the same run may have replaced it since).
const INVALIDATE = `
local n = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(member, '|', 1, true)
  local key, field = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local json = redis.call('HGET', key, field)
  if json and cjson.decode(json).bisection == ARGV[1] then
    redis.call('HDEL', key, field)
    n = n + 1
  end
end
redis.call('DEL', KEYS[1])
return n
`;

/** How long a claim lives unrenewed: a test waiting for a busy lab renews it on every orchestration pass. */
export const CLAIM_TTL_MS = 6 * 3600 * 1000;

export interface VerdictCacheOptions {
  /**
   * How long a claim lives unless its holder's orchestration renews it; a
   * waiter that finds it lapsed tests the run itself.
   * @defaultValue CLAIM_TTL_MS (6 hours)
   */
  readonly claimTtlMs?: number;
}

/**
 * Shared results across bisections (issue #18, point 4), in Redis under the
 * namespace: `<ns>:verdicts:<fp>:<commit>` holds the good/bad runs of a commit
 * under one probe fingerprint by run index; a claim key per run says which
 * bisection is testing it now, and the bisections waiting for it are woken
 * when it lands (in-flight dedupe). Scripts make each check-and-set atomic,
 * so two orchestrators never both test one run.
 */
export class VerdictCache {
  private readonly claimTtlMs: number;

  constructor(private readonly redis: Redis, private readonly keys: Keys, options: VerdictCacheOptions = {}) {
    this.claimTtlMs = options.claimTtlMs ?? CLAIM_TTL_MS;
  }

  /** Asks to test a run for `bisection`: the cached answer, the go-ahead (a claim), or the bisection already testing it. */
  async claim(slot: RunSlot, bisection: string): Promise<Claim> {
    const { fingerprint: fp, commit, run, revert } = slot;
    const r = (await this.redis.eval(CLAIM, 4, this.keys.verdicts(fp, commit, revert), this.keys.verdictClaim(fp, commit, run, revert), this.keys.verdictWaiters(fp, commit, run, revert), this.keys.claimsOf(bisection), String(run), bisection, String(this.claimTtlMs), memberOf(slot))) as [string, string];
    if (r[0] === 'cached') {
      const entry = parseRun(r[1]);
      // An entry that does not parse is treated as absent: the run is tested again and the entry replaced.
      if (entry) return { kind: 'cached', run: entry };
      await this.redis.hdel(this.keys.verdicts(fp, commit, revert), String(run));
      return this.claim(slot, bisection);
    }
    return r[0] === 'mine' ? { kind: 'mine' } : { kind: 'shared', from: r[1] };
  }

  /**
   * Stores a tested run (the first result of that run index stays) and remembers who wrote it, for invalidation.
   * Only a plain commit's runs go to the index of known commits: a reverted kernel is no candidate's verdict.
   */
  async record(slot: RunSlot, entry: CachedRun): Promise<void> {
    const key = this.keys.verdicts(slot.fingerprint, slot.commit, slot.revert);
    const tx = this.redis.multi().hsetnx(key, String(slot.run), JSON.stringify(entry)).sadd(this.keys.verdictsFrom(entry.bisection), `${key}|${slot.run}`);
    if (slot.revert === undefined) tx.sadd(this.keys.verdictIndex(slot.fingerprint), slot.commit);
    await tx.exec();
  }

  /** The cached run, if any (no claim taken). */
  async lookup(slot: RunSlot): Promise<CachedRun | undefined> {
    const json = await this.redis.hget(this.keys.verdicts(slot.fingerprint, slot.commit, slot.revert), String(slot.run));
    return json === null ? undefined : parseRun(json);
  }

  /** Many lookups in one round trip (a pass asks for every known commit still among its candidates). */
  async lookupAll(slots: readonly RunSlot[]): Promise<(CachedRun | undefined)[]> {
    if (slots.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const slot of slots) pipeline.hget(this.keys.verdicts(slot.fingerprint, slot.commit, slot.revert), String(slot.run));
    const replies = (await pipeline.exec()) ?? [];
    return slots.map((_, i) => {
      const [err, json] = replies[i] ?? [null, null];
      if (err) throw err;
      return typeof json === 'string' ? parseRun(json) : undefined;
    });
  }

  /** Commits with cached runs under a fingerprint (an invalidated one may linger: its lookup then misses). */
  async knownCommits(fingerprint: string): Promise<string[]> {
    return this.redis.smembers(this.keys.verdictIndex(fingerprint));
  }

  /** Gives a claim up (the run landed, was dropped, or the bisection ended); returns the bisections to wake (those of a lapsed claim too). */
  async release(slot: RunSlot, bisection: string): Promise<string[]> {
    const { fingerprint: fp, commit, run, revert } = slot;
    const waiters = (await this.redis.eval(RELEASE, 3, this.keys.verdictClaim(fp, commit, run, revert), this.keys.verdictWaiters(fp, commit, run, revert), this.keys.claimsOf(bisection), bisection, memberOf(slot))) as string[];
    // A waiter that became the holder (the claim lapsed, or it took it over) is still in the set: never wake the releaser.
    return waiters.filter((w) => w !== bisection);
  }

  /**
   * Takes a run's claim from `from`, a bisection that ended still holding it
   * (the caller checked): the asker tests the run itself. False when `from`
   * no longer holds it (it let go, or another took it): ask again.
   */
  async takeOver(slot: RunSlot, from: string, bisection: string): Promise<boolean> {
    const { fingerprint: fp, commit, run, revert } = slot;
    return (await this.redis.eval(TAKE_OVER, 3, this.keys.verdictClaim(fp, commit, run, revert), this.keys.claimsOf(from), this.keys.claimsOf(bisection), from, bisection, String(this.claimTtlMs), memberOf(slot))) === 1;
  }

  /** Gives up every claim a bisection still holds (it ended); returns the bisections to wake. */
  async releaseAll(bisection: string): Promise<string[]> {
    const members = await this.redis.smembers(this.keys.claimsOf(bisection));
    const woken = new Set<string>();
    for (const m of members) {
      const slot = slotOf(m);
      if (slot) for (const w of await this.release(slot, bisection)) woken.add(w);
    }
    await this.redis.del(this.keys.claimsOf(bisection));
    return [...woken];
  }

  /** Removes what a bisection's runs put in the cache (its result was marked invalid); returns how many runs left. */
  async invalidateFrom(bisection: string): Promise<number> {
    return (await this.redis.eval(INVALIDATE, 1, this.keys.verdictsFrom(bisection), bisection)) as number;
  }

  /** The cached runs of a commit (with `revert` reverted, if given) under a fingerprint, by run index (for tests and operators). */
  async runsOf(fingerprint: string, commit: string, revert?: string): Promise<Map<number, CachedRun>> {
    const all = await this.redis.hgetall(this.keys.verdicts(fingerprint, commit, revert));
    const out = new Map<number, CachedRun>();
    for (const [run, json] of Object.entries(all)) {
      const entry = parseRun(json);
      if (entry) out.set(Number(run), entry);
    }
    return out;
  }
}

function parseRun(json: string): CachedRun | undefined {
  try {
    const v: unknown = JSON.parse(json);
    return Value.Check(CachedRunSchema, v) ? v : undefined;
  } catch {
    return undefined;
  }
}

// A claim as a member of the holder's set: `fp|commit|run`, `|revert` added for a reverted kernel (members written before reverts were shared have three parts).
function memberOf(slot: RunSlot): string {
  return [slot.fingerprint, slot.commit, String(slot.run), ...(slot.revert !== undefined ? [slot.revert] : [])].join('|');
}

function slotOf(member: string): RunSlot | undefined {
  const [fingerprint, commit, run, revert] = member.split('|');
  return fingerprint && commit && run !== undefined ? { fingerprint, commit, run: Number(run), ...(revert ? { revert } : {}) } : undefined;
}
