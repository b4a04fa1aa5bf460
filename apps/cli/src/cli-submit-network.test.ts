/**
 * `kbisect submit --network`: the CLI in its own process against the real
 * API (on real Redis). What is stored is what the workers get.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '@kbisect/service';
import { apiTestApp, type ApiTestApp } from '../../../test/support/api-app.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let api: ApiTestApp;
let url = '';
let dir = '';
let tree = '';

beforeAll(async () => {
  api = await apiTestApp('cli-network', [{ name: 'fetcher', role: 'submit', commandProbe: true, network: true }, { name: 'ci', role: 'submit', commandProbe: true }], { allowCommandProbe: true });
  url = await api.listen();
  dir = await mkdtemp(join(tmpdir(), 'kbisect-cli-network-'));
  tree = await api.registerTree(dir);
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

const submit = (token: string, args: string[]) => execa('node', [BIN, 'submit', '--repo', tree, '--good', 'v6.1', '--bad', 'v6.2', ...args], { reject: false, timeout: 30_000, env: { ...process.env, KBISECT_URL: url, KBISECT_TOKEN: `t-${token}`, KBISECT_STATE_DIR: dir } });
async function storedProbe(id: string): Promise<unknown> {
  const created = (await api.store.log.read(id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
  return created.request.probe;
}

describe('kbisect submit --network', () => {
  it('asks for the network in the command probe; without the flag the probe asks for none', async () => {
    const asked = await submit('fetcher', ['--test-cmd', 'curl -fsS http://ci.example/ok', '--network']);
    expect(asked.exitCode, asked.stderr).toBe(0);
    expect(await storedProbe(asked.stdout.trim())).toEqual({ type: 'command', command: 'curl -fsS http://ci.example/ok', network: true });
    const plain = await submit('fetcher', ['--test-cmd', 'make check']);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(await storedProbe(plain.stdout.trim())).toEqual({ type: 'command', command: 'make check' });
  }, 120_000);

  it('is refused for a token without the permission, in one line naming probe.network', async () => {
    const refused = await submit('ci', ['--test-cmd', 'make check', '--network']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim()).toBe("kbisect: POST /api/v1/bisections: 403 probe.network: token 'ci' may not give command probes the network");
  }, 120_000);

  it('is a usage error with a kernel probe', async () => {
    const misuse = await submit('fetcher', ['--reproducer', 'boot', '--pool', 'virtual', '--network']);
    expect(misuse.exitCode).toBe(2);
    expect(misuse.stderr.trim()).toBe('kbisect submit: --network applies to --test-cmd only (a kernel probe runs on a lab machine)');
  }, 120_000);
});
