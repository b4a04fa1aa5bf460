import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import type { SearchSummary } from './search-summary.js';

/** The field of a bisection's meta hash that holds its search summary (JSON), beside the other listing fields. */
export const SEARCH_FIELD = 'search';

// KEYS: the bisection's log, its meta hash; ARGV: the log entry the summary was folded up to, the field, the summary.
// Stores only while that entry is still the newest: a summary folded before an annotation or the result landed
// (a reader racing the writer) is refused, and the next reader folds again. Never creates a meta hash.
const SAVE_IF_NEWEST = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last == 0 or last[1][1] ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

/**
 * Search summaries in Redis. Appending an event that changes one deletes it in
 * the same transaction (EventLog), so a summary present is never older than
 * the result and judgements it describes; one absent is folded and stored again.
 */
export class SearchSummaries {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  /** Stores `summary`, folded up to log entry `lastId`, if no entry came after it; true when stored. */
  async save(id: string, lastId: string, summary: SearchSummary): Promise<boolean> {
    const stored = await this.redis.eval(SAVE_IF_NEWEST, 2, this.keys.log(id), this.keys.meta(id), lastId, SEARCH_FIELD, JSON.stringify(summary));
    return stored === 1;
  }
}
