import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { freePort } from '@kbisect/lab';

const BIN = resolve(import.meta.dirname, '../../apps/cli/bin/kbisect.js');

export interface ServeProcess {
  readonly url: string;
  readonly state: string;
  /** Everything serve wrote to stderr so far: evidence when a test fails. */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * A real `kbisect serve` in its own process: a private Redis, every worker
 * role, the virtual lab (one QEMU machine, vm1), and the tokens given as
 * KBISECT_TOKENS (`role:name:sha256[:command]`).
 */
export async function startServe(label: string, env: Record<string, string>): Promise<ServeProcess> {
  const state = await mkdtemp(join(tmpdir(), `kbisect-${label}-`));
  const port = await freePort('tcp');
  const url = `http://127.0.0.1:${port}`;
  const procEnv: Record<string, string | undefined> = { ...process.env, KBISECT_STATE_DIR: state, KBISECT_CACHE_DIR: join(state, 'cache'), ...env };
  delete procEnv.REDIS_URL;
  let err = '';
  const serve = execa('node', [BIN, 'serve', '--port', String(port)], { env: procEnv, reject: false, stdin: 'ignore', cleanup: true });
  serve.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  // A loaded 2-core machine can take a minute to start Redis, the API and the virtual lab.
  for (let i = 0; i < 1200 && !err.includes('kbisect: try'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!err.includes('kbisect: try')) {
    serve.kill('SIGTERM');
    throw new Error(`serve did not start: ${err}`);
  }
  return {
    url,
    state,
    stderr: () => err,
    async stop() {
      serve.kill('SIGTERM');
      await serve;
      await rm(state, { recursive: true, force: true });
    },
  };
}
