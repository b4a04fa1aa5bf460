import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactIntegrityError, StoreError } from './store-errors.js';

export interface Written {
  readonly size: number;
  readonly sha256: string;
}

/**
 * Streams `source` into `path`, hashing as it goes, and keeps the file only
 * when it is what the sender said: `expect.sha256` (and `expect.size` when
 * known) must match, and it may not pass `maxBytes`. A short or altered body
 * leaves no file behind.
 */
export async function writeVerified(source: Readable | AsyncIterable<Uint8Array>, path: string, expect: { sha256: string; size?: number; maxBytes: number; what: string }): Promise<Written> {
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > expect.maxBytes) {
        done(new StoreError('KBISECT_ERR_STORE_FULL', `${expect.what}: larger than ${expect.maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, counter, createWriteStream(path, { mode: 0o644 }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  const sha256 = hash.digest('hex');
  if (expect.size !== undefined && size !== expect.size) {
    await rm(path, { force: true });
    throw new ArtifactIntegrityError(`${expect.what}: ${size} bytes arrived, ${expect.size} expected (truncated)`);
  }
  if (sha256 !== expect.sha256) {
    await rm(path, { force: true });
    throw new ArtifactIntegrityError(`${expect.what}: sha256 ${sha256} is not the expected ${expect.sha256}`);
  }
  return { size, sha256 };
}

/** sha256 and size of a file on disk, read in a stream. */
export async function digestFile(path: string): Promise<Written> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}
