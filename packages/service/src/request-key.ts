import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';

export class RequestKeyError extends Error {
  readonly code = 'KBISECT_ERR_REQUEST_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'RequestKeyError';
  }
}

/** Bytes of a generated key, and the fewest a key file may hold. */
const KEY_BYTES = 32;

/**
 * Reads the request-signing key (KBISECT_REQUEST_KEY_FILE): at least 32
 * bytes as hex or base64 on the first line, in a file nobody but its owner
 * can read. Checked at startup; the key never goes to Redis, argv or logs.
 */
export async function readRequestKey(path: string): Promise<Buffer> {
  let text: string;
  try {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) throw new RequestKeyError(`KBISECT_REQUEST_KEY_FILE: the key file is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof RequestKeyError) throw err;
    throw new RequestKeyError(`KBISECT_REQUEST_KEY_FILE: cannot read the key file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const line = text.split('\n')[0]?.trim() ?? '';
  const key = /^[0-9a-fA-F]+$/.test(line) && line.length % 2 === 0 ? Buffer.from(line, 'hex') : Buffer.from(line, 'base64');
  if (key.length < KEY_BYTES) throw new RequestKeyError(`KBISECT_REQUEST_KEY_FILE: the key must hold at least ${KEY_BYTES} bytes (hex or base64); generate one with: openssl rand -hex 32`);
  return key;
}

/** Writes a new random key (hex, mode 0600) unless the file exists; returns it. */
export async function ensureRequestKey(path: string): Promise<Buffer> {
  try {
    await writeFile(path, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readRequestKey(path);
}
