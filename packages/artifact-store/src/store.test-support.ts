import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '@kbisect/service';
import { startStore, type RunningStore } from './start-store.js';
import type { StoreConfig } from './store-config.js';

export const BUILD_TOKEN = 'store-build-token-0123456789';
export const LAB_TOKEN = 'store-lab-token-0123456789ab';

export interface TestStore {
  readonly store: RunningStore;
  readonly dir: string;
  readonly url: string;
  close(): Promise<void>;
}

/** A real store on a loopback port, in its own temp dir, with one build and one lab credential; `now` is its pin table's clock. */
export async function startTestStore(opts: { limitBytes?: number; upstream?: string; pinTtlHours?: number; now?: () => number } = {}): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'kbisect-store-'));
  const credentialsFile = join(dir, 'store-tokens.json');
  await writeFile(credentialsFile, JSON.stringify({ tokens: [{ name: 'builder', role: 'build', sha256: hashToken(BUILD_TOKEN) }, { name: 'lab', role: 'lab', sha256: hashToken(LAB_TOKEN) }] }));
  const upstreamTokenFile = join(dir, 'upstream-token');
  await writeFile(upstreamTokenFile, LAB_TOKEN);
  const config: StoreConfig = {
    dir: join(dir, 'store'), limitBytes: opts.limitBytes ?? 1024 ** 3, host: '127.0.0.1', port: 0, credentialsFile, pinTtlHours: opts.pinTtlHours ?? 72,
    ...(opts.upstream ? { upstream: { url: opts.upstream, tokenFile: upstreamTokenFile } } : {}),
  };
  const store = await startStore(config, opts.now ? { now: opts.now } : {});
  return {
    store, dir, url: store.url,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `files` (name → content) into a fresh dir; the list StoreClient.upload takes. */
export async function artifactFiles(dir: string, files: Record<string, string | Buffer>): Promise<{ name: string; path: string }[]> {
  const out: { name: string; path: string }[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, content);
    out.push({ name, path });
  }
  return out;
}
