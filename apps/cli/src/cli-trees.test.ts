/**
 * `kbisect trees` add / list / remove, as an admin and as a reader would run
 * them: the CLI in its own process against the real API (on real Redis).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestApp, type ApiTestApp } from '../../../test/support/api-app.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let api: ApiTestApp;
let url = '';
let dir = '';

beforeAll(async () => {
  api = await apiTestApp('cli-trees', [{ name: 'root', role: 'admin' }, { name: 'reader', role: 'read' }]);
  url = await api.listen();
  dir = await mkdtemp(join(tmpdir(), 'kbisect-cli-trees-'));
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

// The state dir is empty: no local admin token to fall back on, only the token given.
const cli = (token: string, args: string[]) => execa('node', [BIN, 'trees', ...args], { reject: false, timeout: 30_000, env: { ...process.env, KBISECT_URL: url, KBISECT_TOKEN: `t-${token}`, KBISECT_STATE_DIR: dir } });

describe('kbisect trees', () => {
  it('adds, lists (the repo only to admins) and removes a tree', async () => {
    const added = await cli('root', ['add', 'mainline', dir, '--role', 'submit', '--pool', 'virtual']);
    expect(added.stdout).toBe(`registered tree mainline: ${dir}`);
    expect((await cli('root', [])).stdout).toBe(`mainline         ${dir}  (role submit)  defaults: pool virtual`);
    // A reader sees the name and who may use it, never the path behind it.
    const read = await cli('reader', ['list']);
    expect(read.stdout).toBe('mainline         (role submit)  defaults: pool virtual');
    expect(JSON.parse((await cli('reader', ['--json'])).stdout)).toEqual([{ name: 'mainline', roles: ['submit'], defaults: { pool: 'virtual' } }]);

    const removed = await cli('root', ['remove', 'mainline']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('removed tree mainline');
    expect(await api.trees.get('mainline')).toBeUndefined();
    expect((await cli('root', [])).stdout).toBe('no trees (an admin registers one: kbisect trees add NAME URL|PATH)');
  }, 120_000);

  it('remove: an unknown tree is one line naming it; a reader may not; a bad name is a usage error', async () => {
    const unknown = await cli('root', ['remove', 'no-such-tree']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr.trim()).toBe('kbisect: DELETE /api/v1/trees/no-such-tree: 404 no tree no-such-tree');

    await api.registerTree(dir, 'kept');
    const forbidden = await cli('reader', ['remove', 'kept']);
    expect(forbidden.exitCode).toBe(1);
    expect(forbidden.stderr.trim()).toMatch(/^kbisect: DELETE \/api\/v1\/trees\/kept: 403 this needs the 'admin' role/);
    expect(await api.trees.get('kept')).toBeDefined();

    for (const args of [['remove'], ['remove', 'Bad/Name'], ['remove', 'kept', 'extra']]) {
      const misuse = await cli('root', args);
      expect(misuse.exitCode, args.join(' ')).toBe(2);
      expect(misuse.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(await api.trees.get('kept')).toBeDefined();
  }, 120_000);
});
