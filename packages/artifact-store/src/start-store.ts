import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ArtifactDisk } from './artifact-disk.js';
import { ArtifactPuller } from './artifact-puller.js';
import { PinTable } from './pin-table.js';
import { buildStoreApp } from './store-app.js';
import { StoreClient } from './store-client.js';
import type { StoreConfig } from './store-config.js';
import { StoreCredentials } from './store-credentials.js';
import { StoreConfigError } from './store-errors.js';

export interface RunningStore {
  readonly app: FastifyInstance;
  /** Where clients reach it (http://host:port), without the /store/v1 prefix. */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartStoreOptions {
  readonly logger?: FastifyBaseLogger;
  /** The pin table's clock (pins lapse by it). @defaultValue Date.now */
  readonly now?: () => number;
}

/** Owns the port and graceful close; store-app.ts stays listen-free. */
export async function startStore(config: StoreConfig, opts: StartStoreOptions = {}): Promise<RunningStore> {
  const { logger } = opts;
  const raw = await readFile(config.credentialsFile, 'utf8').catch(() => {
    throw new StoreConfigError(`KBISECT_STORE_CREDENTIALS_FILE: ${config.credentialsFile} cannot be read`);
  });
  const credentials = StoreCredentials.parse(raw, config.credentialsFile);
  const disk = await ArtifactDisk.open(join(config.dir, 'artifacts'), config.limitBytes);
  const pins = await PinTable.open(join(config.dir, 'pins.json'), config.pinTtlHours * 3_600_000, opts.now);
  const upstream = config.upstream
    ? new ArtifactPuller(disk, await StoreClient.fromFiles(config.upstream.url, config.upstream.tokenFile), () => pins.pinned())
    : undefined;
  const app = await buildStoreApp({ disk, pins, credentials, ...(upstream ? { upstream } : {}) }, logger ? { logger } : {});
  // Boot files are large and lab links slow: let a transfer take its time, but not a silent client.
  app.server.requestTimeout = 0;
  app.server.keepAliveTimeout = 65_000;
  const address = await app.listen({ port: config.port, host: config.host });
  return { app, url: address, close: () => app.close() };
}
