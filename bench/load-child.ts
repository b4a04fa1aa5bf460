import { resolve } from 'node:path';
import { execa } from 'execa';
import type { LoadResult } from './latency.js';
import type { LoadSpec } from './load-spec.js';

const CLIENT = resolve(import.meta.dirname, 'load-client.ts');
const TSX = resolve(import.meta.dirname, '../node_modules/.bin/tsx');

/** Runs a load's clients in a child process (bench/load-client.ts); the result is measured there. */
export async function runLoadInChild(spec: LoadSpec): Promise<LoadResult> {
  // The load's own seconds plus a start-up allowance: a client that hangs fails the bench instead of stalling it.
  const { stdout } = await execa(TSX, [CLIENT, JSON.stringify(spec)], { timeout: (spec.seconds + 60) * 1000 });
  return JSON.parse(stdout) as LoadResult;
}
