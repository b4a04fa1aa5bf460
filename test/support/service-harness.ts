/**
 * An in-process kbisect service for integration tests: the real API on a
 * loopback port and real BullMQ workers, on the shared Redis under a unique
 * namespace, with one admin token allowed to run command probes.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { apiConfigFromEnv, startApi, type RunningApi } from '@kbisect/api';
import { ensureRequestKey, hashToken, tokenLimitsFromEnv, TokenRegistry } from '@kbisect/service';
import { gitOpener, startWorkers, workerConfigFromEnv, type RunningWorkers } from '@kbisect/worker';
import type { GeneratedHistory } from '@kbisect/bisect/testing';
import { descendantsOf } from '@kbisect/bisect/testing';
import { REDIS_URL, dropNamespace, uniqueNamespace } from './redis-namespace.js';
import { oracleScript, writeGitHistory, type GitFixture } from './git-fixture.js';

export const TOKEN = 'test-admin-token';

/**
 * Where tests keep the scripts their command probes run: the probes run in
 * the workers' sandbox, which shows them their worktree and only the
 * directories of KBISECT_PROBE_READ_PATHS besides.
 */
export const PROBE_TOOLS_DIR = join(tmpdir(), 'kbisect-probe-tools');

/** A fresh directory under PROBE_TOOLS_DIR the sandbox uid can read. */
export async function probeToolsDir(label: string): Promise<string> {
  await mkdir(PROBE_TOOLS_DIR, { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(PROBE_TOOLS_DIR, `${label}-`));
  await chmod(dir, 0o755);
  return dir;
}

export interface Harness {
  readonly namespace: string;
  readonly url: string;
  readonly cacheDir: string;
  readonly env: Record<string, string>;
  api: RunningApi;
  workers?: RunningWorkers;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
  fetchJson<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Registers `repo` (a path) as a tree, as the admin must before anyone submits it; returns the tree's name. */
  registerTree(repo: string, name?: string): Promise<string>;
}

export async function startHarness(label: string, opts: { inProcessWorkers?: boolean; lockDurationMs?: number; roles?: readonly ('orchestrator' | 'build' | 'test')[]; env?: Record<string, string> } = {}): Promise<Harness> {
  const namespace = uniqueNamespace(label);
  const cacheDir = await mkdtemp(join(tmpdir(), `kbisect-${label}-`));
  // Signed submissions, as in a deployment: the API and the workers share this key, Redis never sees it.
  const keyFile = join(cacheDir, 'request-key');
  await ensureRequestKey(keyFile);
  const env: Record<string, string> = {
    REDIS_URL,
    KBISECT_REQUEST_KEY_FILE: keyFile,
    KBISECT_ALLOW_COMMAND_PROBE: '1',
    KBISECT_NAMESPACE: namespace,
    KBISECT_CACHE_DIR: cacheDir,
    KBISECT_LOCK_DURATION_MS: String(opts.lockDurationMs ?? 5000),
    KBISECT_TEST_CONCURRENCY: '4',
    KBISECT_PROBE_READ_PATHS: PROBE_TOOLS_DIR,
    ...opts.env,
  };
  const logger = pino({ level: 'silent' });
  const config = apiConfigFromEnv(env, { port: 0, allowCommandProbe: true });
  const api = await startApi(config, new TokenRegistry({ tokens: [{ name: 'tester', role: 'admin', sha256: hashToken(TOKEN), commandProbe: true }] }, tokenLimitsFromEnv(env)), logger);
  let trees = 0;
  const h: Harness = {
    namespace,
    url: api.url,
    cacheDir,
    env,
    api,
    async startWorkers() {
      h.workers = await startWorkers(workerConfigFromEnv(env, opts.roles ?? ['orchestrator', 'test'], { cacheDir }), { openRepo: gitOpener(cacheDir), logger });
    },
    async stopWorkers() {
      await h.workers?.close();
      delete h.workers;
    },
    async close() {
      await h.stopWorkers();
      await api.close();
      await dropNamespace(namespace);
      await rm(cacheDir, { recursive: true, force: true });
    },
    async fetchJson<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    async registerTree(repo, name = `tree-${++trees}`) {
      const res = await h.fetchJson<unknown>('POST', '/api/v1/trees', { name, repo });
      if (res.status !== 201 && res.status !== 200) throw new Error(`registering ${repo} as tree ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return name;
    },
  };
  if (opts.inProcessWorkers ?? true) await h.startWorkers();
  return h;
}

/** A generated repository with an oracle script answering for a given culprit and skip set. */
export interface OracleRepo {
  readonly fx: GitFixture;
  readonly script: string;
  readonly badSet: Set<string>;
  readonly skipSet: Set<string>;
  readonly scratch: string;
  cleanup(): Promise<void>;
}

export async function oracleRepo(history: GeneratedHistory, culprit: number, skips: readonly number[]): Promise<OracleRepo> {
  const fx = await writeGitHistory(history);
  const scratch = await probeToolsDir('oracle');
  const badSet = new Set([...descendantsOf(history, culprit)].map((i) => fx.shas[i]!));
  const skipSet = new Set(skips.map((i) => fx.shas[i]!));
  await writeFile(join(scratch, 'bad.txt'), [...badSet].join('\n') + '\n');
  await writeFile(join(scratch, 'skip.txt'), [...skipSet].join('\n') + '\n');
  const script = join(scratch, 'oracle.sh');
  await writeFile(script, oracleScript(join(scratch, 'bad.txt'), join(scratch, 'skip.txt')), { mode: 0o755 });
  return {
    fx, script, badSet, skipSet, scratch,
    async cleanup() {
      await fx.cleanup();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * A bisection's view once it ended (or when `timeoutMs` ran out, whatever it was then).
 * `poll.onView` sees every view on the way (what was in flight when); `poll.everyMs` @defaultValue 250
 */
export async function waitForEnd<V extends { status: string }>(h: Harness, id: string, timeoutMs: number, poll: { everyMs?: number; onView?: (view: V) => void } = {}): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await h.fetchJson<V>('GET', `/api/v1/bisections/${id}`);
    poll.onView?.(body);
    if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, poll.everyMs ?? 250));
  }
}
