import type { Machine, MachineSpec } from './machine.js';

/** Why no machine could be leased. */
export type NoMachine = 'empty-pool' | 'none-ready' | 'all-busy';

/**
 * Where machines live and who holds them (the port; the service keeps it in
 * Redis so workers on many hosts share one view). A lease is exclusive and
 * expires unless renewed, so a crashed worker never holds a machine forever.
 */
export interface MachineRegistry {
  lease(pool: string, holder: string, ttlMs: number, avoid?: readonly string[]): Promise<{ readonly machine: MachineSpec } | { readonly none: NoMachine; readonly detail: string }>;
  renew(id: string, holder: string, ttlMs: number): Promise<boolean>;
  release(id: string, holder: string): Promise<void>;
  /** Counts an infrastructure failure; at `quarantineAfter` in a row the machine is quarantined. */
  recordInfraFailure(id: string, reason: string, quarantineAfter: number): Promise<{ readonly infraFailures: number; readonly quarantined: boolean }>;
  recordSuccess(id: string): Promise<void>;
  get(id: string): Promise<Machine | undefined>;
}
