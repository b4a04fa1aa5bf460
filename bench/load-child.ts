import { resolve } from 'node:path';
import { execa } from 'execa';
import type { LoadResult } from './latency.js';
import type { LoadSpec } from './load-spec.js';

const CLIENT = resolve(import.meta.dirname, 'load-client.ts');
const TSX = resolve(import.meta.dirname, '../node_modules/.bin/tsx');

/** Runs a load's clients in a child process (bench/load-client.ts); the result is measured there. */
export async function runLoadInChild(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await execa(TSX, [CLIENT, JSON.stringify(spec)]);
  return JSON.parse(stdout) as LoadResult;
}
