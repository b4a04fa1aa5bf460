import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A bisection's hold on the artifacts it built: eviction passes them by. */
const PinFileSchema = Type.Record(Type.String(), Type.Object({ keys: Type.Array(Type.String()), renewedAt: Type.Number() }));
type PinFile = Static<typeof PinFileSchema>;

export const PIN_HOLDER_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$';

/**
 * Pins by holder (a bisection id), kept in one JSON file so they survive a
 * restart of the store. A holder that never releases (an orchestrator that
 * died before the end) loses its pins after `ttlMs` without renewal: every
 * pin renews its holder, and so does `renew` (the orchestrators call it for
 * each running bisection, so a long wait between builds loses nothing).
 */
export class PinTable {
  private pins: PinFile = {};
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string, private readonly ttlMs: number, private readonly now: () => number) {}

  static async open(file: string, ttlMs: number, now: () => number = Date.now): Promise<PinTable> {
    const table = new PinTable(file, ttlMs, now);
    const raw = await readFile(file, 'utf8').catch(() => undefined);
    if (raw !== undefined) {
      const parsed: unknown = JSON.parse(raw);
      // A damaged pin file must not stop the store: it starts with no pins (eviction may then take more than it should, never less).
      if (Value.Check(PinFileSchema, parsed)) table.pins = parsed;
    }
    return table;
  }

  async pin(holder: string, key: string): Promise<void> {
    const entry = this.pins[holder] ?? { keys: [], renewedAt: 0 };
    this.pins[holder] = { keys: entry.keys.includes(key) ? entry.keys : [...entry.keys, key], renewedAt: this.now() };
    await this.save();
  }

  /**
   * Renews every pin of `holder` without adding one: a bisection still
   * running keeps what it built however long it waits between builds. How
   * many keys it holds; 0 for a holder with no pins (one released is not
   * brought back).
   */
  async renew(holder: string): Promise<number> {
    const entry = this.pins[holder];
    if (!entry) return 0;
    this.pins[holder] = { ...entry, renewedAt: this.now() };
    await this.save();
    return entry.keys.length;
  }

  /** Drops every pin of `holder`; how many keys it held. */
  async release(holder: string): Promise<number> {
    const held = this.pins[holder]?.keys.length ?? 0;
    delete this.pins[holder];
    await this.save();
    return held;
  }

  /** Keys some live holder pins. */
  pinned(): Set<string> {
    const live = new Set<string>();
    const cutoff = this.now() - this.ttlMs;
    for (const entry of Object.values(this.pins)) if (entry.renewedAt >= cutoff) for (const k of entry.keys) live.add(k);
    return live;
  }

  private async save(): Promise<void> {
    const text = JSON.stringify(this.pins);
    // Writes in order, each whole (temp + rename): a crash leaves the old table or the new one.
    this.saving = this.saving.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(`${this.file}.tmp`, text);
      await rename(`${this.file}.tmp`, this.file);
    });
    await this.saving;
  }
}
