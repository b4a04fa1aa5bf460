import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerConfigFromEnv } from './worker-config.js';
import { openRequestTrust } from './worker-trust.js';

function memoryLogger(): { logger: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { out.push(chunk.toString()); done(); } });
  return { logger: pino({ level: 'info' }, sink), lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

describe('what a worker trusts, read at start', () => {
  let dir = '';
  let keyFile = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-worker-trust-'));
    keyFile = join(dir, 'request-key');
    await writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const open = (env: Record<string, string>) => {
    const { logger, lines } = memoryLogger();
    return openRequestTrust(workerConfigFromEnv(env, ['orchestrator'], { cacheDir: dir }), logger).then((trust) => ({ trust, lines: lines() }));
  };

  it('with a key: checks every request, says nothing', async () => {
    const { trust, lines } = await open({ KBISECT_REQUEST_KEY_FILE: keyFile });
    expect(trust.key?.length).toBe(32);
    expect(lines).toEqual([]);
  });

  it('without a key: refuses unsigned work, and says so at error level', async () => {
    const { trust, lines } = await open({});
    expect(trust).toMatchObject({ acceptUnsigned: false });
    expect(trust.key).toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: expect.stringMatching(/^no request key \(KBISECT_REQUEST_KEY_FILE\): .*refuses every bisection/) })]);
  });

  it('without a key and KBISECT_REQUIRE_SIGNED=0: accepts unsigned work, loudly', async () => {
    const { trust, lines } = await open({ KBISECT_REQUIRE_SIGNED: '0' });
    expect(trust).toMatchObject({ acceptUnsigned: true });
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: expect.stringMatching(/^UNSIGNED WORK ACCEPTED \(KBISECT_REQUIRE_SIGNED=0/) })]);
  });

  it('KBISECT_PROBE_NETWORK=allow: carried into the trust and logged', async () => {
    const { trust, lines } = await open({ KBISECT_REQUEST_KEY_FILE: keyFile, KBISECT_PROBE_NETWORK: 'allow' });
    expect(trust).toMatchObject({ allowProbeNetwork: true });
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: expect.stringContaining('KBISECT_PROBE_NETWORK=allow') })]);
  });
});
