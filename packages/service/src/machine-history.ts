import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { PurposeSchema, ShaSchema, VerdictSchema } from './shared-schemas.js';

/** One thing that happened on a machine: a test that gave a verdict, an infrastructure failure, or an operator's drain or undrain. */
export const MachineHistoryEntrySchema = Type.Union([
  Type.Object({
    kind: Type.Literal('test'), at: Type.String(), bisection: Type.String(), commit: ShaSchema, verdict: VerdictSchema, reason: Type.String({ maxLength: 500 }),
    purpose: Type.Optional(PurposeSchema),
  }),
  Type.Object({
    kind: Type.Literal('infra-failure'), at: Type.String(), bisection: Type.String(), commit: ShaSchema,
    failure: Type.String({ description: "The LabInfraError kind: no-boot, console-unavailable, …" }), message: Type.String({ maxLength: 500 }),
  }),
  Type.Object({ kind: Type.Literal('service'), at: Type.String(), action: Type.Union([Type.Literal('drain'), Type.Literal('undrain')]), by: Type.String(), reason: Type.Optional(Type.String({ maxLength: 500 })) }),
]);
export type MachineHistoryEntry = Static<typeof MachineHistoryEntrySchema>;

/** Entries a machine keeps, newest first. @defaultValue 50 */
export const MACHINE_HISTORY_CAP = 50;

/**
 * What each lab machine did lately, for the machines page: a capped Redis
 * list per machine (`<ns>:machine:<id>:history`), written by the lab worker
 * that leased it, read by the API. A machine that is removed and registered
 * again keeps its history: it is the same box.
 */
export class MachineHistory {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly cap = MACHINE_HISTORY_CAP) {}

  async record(machineId: string, entry: MachineHistoryEntry): Promise<void> {
    const key = this.keys.machineHistory(machineId);
    const clipped = entry.kind === 'infra-failure' ? { ...entry, message: entry.message.slice(0, 500) } : entry.reason !== undefined ? { ...entry, reason: entry.reason.slice(0, 500) } : entry;
    await this.redis.multi().lpush(key, JSON.stringify(clipped)).ltrim(key, 0, this.cap - 1).exec();
  }

  /** The newest `count` entries of each machine, in one round trip; an entry that does not parse is left out. */
  async recent(machineIds: readonly string[], count = 10): Promise<Map<string, MachineHistoryEntry[]>> {
    const out = new Map<string, MachineHistoryEntry[]>();
    if (machineIds.length === 0) return out;
    const m = this.redis.multi();
    for (const id of machineIds) m.lrange(this.keys.machineHistory(id), 0, count - 1);
    const results = (await m.exec()) ?? [];
    machineIds.forEach((id, i) => {
      const raw = (results[i]?.[1] ?? []) as string[];
      out.set(id, raw.flatMap((json) => {
        const parsed = parseOrUndefined(json);
        return Value.Check(MachineHistoryEntrySchema, parsed) ? [parsed] : [];
      }));
    });
    return out;
  }
}

function parseOrUndefined(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
