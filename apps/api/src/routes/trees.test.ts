import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, MachineStore, TokenRegistry, TreeStore, connectRedis, hashToken, queueNames, type OpenRepoPolicy } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../../test/support/redis-namespace.js';
import { buildApp } from '../app.js';

const ns = uniqueNamespace('api-trees');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const store = new BisectionStore(redis, ns);
const tokens = new TokenRegistry({
  tokens: [
    { name: 'reader', role: 'read', sha256: hashToken('t-read') },
    { name: 'alice', role: 'submit', sha256: hashToken('t-alice'), commandProbe: true },
    { name: 'bob', role: 'submit', sha256: hashToken('t-bob'), commandProbe: true },
    { name: 'maintainer', role: 'maintain', sha256: hashToken('t-maintain'), commandProbe: true },
    { name: 'root', role: 'admin', sha256: hashToken('t-admin') },
  ],
});
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const enqueued: string[] = [];
let closed: FastifyInstance;
let open: FastifyInstance;
const policy: OpenRepoPolicy = { schemes: ['https', 'ssh'], hosts: ['git.example.org'] };

function appWith(openRepos?: OpenRepoPolicy): Promise<FastifyInstance> {
  return buildApp({
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, tokens,
    allowCommandProbe: true, bodyLimit: 8192, now: () => new Date('2026-11-30T00:00:00Z'),
    enqueueOrchestrate: async (id) => void enqueued.push(id),
    ...(openRepos ? { openRepos } : {}),
  });
}

const range = { good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: 'true' } };
const errorOf = (res: { json: <T>() => T }) => res.json<{ error: { code: string; message: string; field?: string } }>().error;
async function count(): Promise<number> {
  return redis.zcard(store.keys.index);
}

beforeAll(async () => {
  closed = await appWith();
  open = await appWith(policy);
  const machine = {
    id: 'vm-01', pool: 'virtual', mac: '52:54:00:AB:CD:01',
    bmc: { host: '127.0.0.1', user: 'admin', password: { env: 'VM01_BMC_PASSWORD' } },
    console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp' }, pciAddress: '0000:00:05.0',
  };
  expect((await closed.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: machine })).statusCode).toBe(201);
});
afterAll(async () => {
  await closed.close();
  await open.close();
  await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
  redis.disconnect();
  await dropNamespace(ns);
});

describe('/api/v1/trees', () => {
  it('admins register, replace and remove trees; readers list them by name, never the repo behind it; others may not register', async () => {
    const tree = { name: 'linux', repo: '/srv/linux', defaults: { pool: 'virtual' } };
    const first = await closed.inject({ method: 'POST', url: '/api/v1/trees', headers: auth('t-admin'), payload: tree });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual(tree);
    expect((await closed.inject({ method: 'POST', url: '/api/v1/trees', headers: auth('t-admin'), payload: { ...tree, roles: ['maintain'] } })).statusCode).toBe(200);
    expect((await closed.inject({ method: 'POST', url: '/api/v1/trees', headers: auth('t-maintain'), payload: { name: 'x', repo: '/srv/x' } })).statusCode).toBe(403);
    const { repo: _repo, ...seen } = { ...tree, roles: ['maintain'] };
    for (const token of ['t-read', 't-alice', 't-maintain']) {
      const listed = await closed.inject({ method: 'GET', url: '/api/v1/trees', headers: auth(token) });
      expect(listed.json(), token).toEqual({ items: [seen] });
      expect(listed.body, token).not.toContain('/srv/linux');
      const one = await closed.inject({ method: 'GET', url: '/api/v1/trees/linux', headers: auth(token) });
      expect(one.json(), token).toEqual(seen);
    }
    // The admin who registered it sees the repo.
    expect((await closed.inject({ method: 'GET', url: '/api/v1/trees', headers: auth('t-admin') })).json()).toEqual({ items: [{ ...tree, roles: ['maintain'] }] });
    expect((await closed.inject({ method: 'GET', url: '/api/v1/trees/linux', headers: auth('t-admin') })).json()).toEqual({ ...tree, roles: ['maintain'] });
    expect((await closed.inject({ method: 'GET', url: '/api/v1/trees' })).statusCode).toBe(401);
    expect((await closed.inject({ method: 'DELETE', url: '/api/v1/trees/linux', headers: auth('t-admin') })).statusCode).toBe(204);
    const gone = await closed.inject({ method: 'DELETE', url: '/api/v1/trees/linux', headers: auth('t-admin') });
    expect(gone.statusCode).toBe(404);
    expect(errorOf(gone)).toMatchObject({ code: 'KBISECT_ERR_NOT_FOUND', field: 'name' });
  });

  it.each([
    ['credentials in the URL', { name: 'leak', repo: 'https://alice:hunter2@git.example.org/linux.git' }, 'repo', /credentials/],
    ['a token in the URL', { name: 'leak', repo: 'https://ghp_abc123@git.example.org/linux.git' }, 'repo', /credentials/],
    ['a relative path', { name: 'rel', repo: 'srv/linux' }, 'repo', /absolute|neither/],
    ['a remote helper', { name: 'ext', repo: 'ext::sh -c id' }, 'repo', /remote helpers/],
    ['plain http', { name: 'http', repo: 'http://git.example.org/linux.git' }, 'repo', /scheme 'http'/],
    ['a name that is an option', { name: '-x', repo: '/srv/x' }, 'name', /pattern|must match/],
  ])('refuses to register %s, naming the field, storing nothing and echoing no secret', async (_what, payload, field, reason) => {
    const res = await closed.inject({ method: 'POST', url: '/api/v1/trees', headers: auth('t-admin'), payload });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).field ?? errorOf(res).message).toContain(field);
    expect(errorOf(res).message).toMatch(reason);
    expect(res.body).not.toMatch(/hunter2|ghp_abc123/);
    expect(await new TreeStore(redis, ns).get(payload.name)).toBeUndefined();
  });

  it('stores file:// as its path', async () => {
    const res = await closed.inject({ method: 'POST', url: '/api/v1/trees', headers: auth('t-admin'), payload: { name: 'file-tree', repo: 'file:///srv/file-tree' } });
    expect(res.json()).toMatchObject({ repo: '/srv/file-tree' });
  });
});

describe('submitting against registered trees', () => {
  beforeAll(async () => {
    const trees = new TreeStore(redis, ns);
    await trees.register({ name: 'mainline', repo: '/srv/mainline', defaults: { configFragments: ['qemu-x86_64'], pool: 'virtual', requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'] } });
    await trees.register({ name: 'alice-only', repo: 'https://git.example.org/alice.git', tokens: ['alice'] });
    await trees.register({ name: 'maintainers', repo: '/srv/mm', roles: ['maintain'] });
  });

  it('takes a tree by name or by its exact repo, stores the repo and shows the name', async () => {
    for (const repo of ['mainline', '/srv/mainline']) {
      const res = await closed.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-alice'), payload: { repo, ...range } });
      expect(res.statusCode).toBe(201);
      const id = res.json<{ id: string }>().id;
      const created = (await store.load(id)).fold.created!;
      expect(created).toMatchObject({ tree: 'mainline', request: { repo: '/srv/mainline' } });
      expect((await closed.inject({ method: 'GET', url: `/api/v1/bisections/${id}`, headers: auth('t-read') })).json()).toMatchObject({ repo: 'mainline' });
      const events = await closed.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report`, headers: auth('t-read') });
      expect(events.body).toContain('repository: mainline');
      expect(events.body).not.toContain('/srv/mainline');
    }
    const listed = await closed.inject({ method: 'GET', url: '/api/v1/bisections', headers: auth('t-read') });
    expect(listed.json<{ items: { repo: string }[] }>().items.map((i) => i.repo)).toContain('mainline');
  });

  it('fills a kernel probe from the tree where the request is silent, and keeps what it says', async () => {
    const probe = { type: 'kernel', reproducer: { name: 'boot' } };
    const res = await closed.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-alice'), payload: { ...range, repo: 'mainline', probe } });
    expect(res.statusCode).toBe(201);
    expect((await store.load(res.json<{ id: string }>().id)).fold.created!.request.probe).toMatchObject({ configFragments: ['qemu-x86_64'], pool: 'virtual', requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'] });
    const own = await closed.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-alice'), payload: { ...range, repo: 'mainline', probe: { ...probe, configFragments: [] }, options: { requireConfig: ['CONFIG_VFIO'] } } });
    expect(own.statusCode).toBe(201);
    const stored = (await store.load(own.json<{ id: string }>().id)).fold.created!.request.probe;
    expect(stored).toMatchObject({ configFragments: [], pool: 'virtual' });
    expect(stored).not.toHaveProperty('requireConfig');
  });

  it("checks the tree's tokens and roles", async () => {
    const submit = (repo: string, token: string) => closed.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth(token), payload: { repo, ...range } });
    expect((await submit('alice-only', 't-alice')).statusCode).toBe(201);
    const bob = await submit('alice-only', 't-bob');
    expect(bob.statusCode).toBe(403);
    expect(errorOf(bob)).toMatchObject({ code: 'KBISECT_ERR_FORBIDDEN', field: 'repo', message: "repo: token 'bob' may not use tree 'alice-only'" });
    expect((await submit('maintainers', 't-bob')).statusCode).toBe(403);
    expect((await submit('maintainers', 't-maintain')).statusCode).toBe(201);
  });

  it.each([
    ['an unregistered path', '/etc', /'\/etc' is not a registered tree/],
    ['a file:// URL', 'file:///root/secret.git', /not a registered tree/],
    ['an unregistered URL', 'https://git.example.org/other.git', /registered trees only/],
    ['a URL with credentials', 'https://alice:hunter2@git.example.org/alice.git', /credentials in a URL are refused/],
  ])('refuses %s with a 400 naming repo, before anything is stored', async (_what, repo, reason) => {
    const before = await count();
    const queued = enqueued.length;
    const res = await closed.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-alice'), payload: { repo, ...range } });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'KBISECT_ERR_INVALID_REPO_SOURCE', field: 'repo' });
    expect(errorOf(res).message).toMatch(reason);
    expect(res.body).not.toContain('hunter2');
    expect(await count()).toBe(before);
    expect(enqueued.length).toBe(queued);
  });
});

describe('open URLs (KBISECT_OPEN_REPOS + KBISECT_REPO_HOSTS)', () => {
  it('accepts an allowed scheme to an allowed host, shown as given', async () => {
    for (const repo of ['https://git.example.org/linux.git', 'git@git.example.org:linux.git', 'ssh://git@GIT.example.org/linux.git']) {
      const res = await open.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-alice'), payload: { repo, ...range } });
      expect(res.statusCode, repo).toBe(201);
      const id = res.json<{ id: string }>().id;
      expect((await store.load(id)).fold.created).not.toHaveProperty('tree');
      expect((await open.inject({ method: 'GET', url: `/api/v1/bisections/${id}`, headers: auth('t-read') })).json()).toMatchObject({ repo });
    }
  });

  it.each([
    ['another host', 'https://evil.example.org/linux.git', /host 'evil.example.org' is not on this deployment's allow-list/],
    ['a scheme not opened', 'git://git.example.org/linux.git', /only use https, ssh here \(not git\)/],
    ['a local path', '/srv/other', /local paths and file:\/\/ URLs are only accepted as registered trees/],
    ['a file:// URL', 'file:///srv/other', /local paths and file:\/\//],
    ['a remote helper', 'ext::sh -c id', /remote helpers/],
    ['credentials', 'https://x:y@git.example.org/linux.git', /credentials/],
  ])('still refuses %s', async (_what, repo, reason) => {
    const res = await open.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-alice'), payload: { repo, ...range } });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toMatchObject({ field: 'repo' });
    expect(errorOf(res).message).toMatch(reason);
  });
});

describe('credentials stored before they were refused', () => {
  it('are redacted in GET, the list, the report and the event stream', async () => {
    const id = await store.create({ repo: 'https://old:s3cret@git.example.org/linux.git', ...range, probe: { type: 'command', command: 'true' } }, 'alice', new Date('2026-11-29T00:00:00Z'));
    const shown = [
      (await closed.inject({ method: 'GET', url: `/api/v1/bisections/${id}`, headers: auth('t-read') })).body,
      (await closed.inject({ method: 'GET', url: '/api/v1/bisections?limit=200', headers: auth('t-read') })).body,
      (await closed.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report`, headers: auth('t-read') })).body,
    ];
    for (const body of shown) {
      expect(body).toContain('https://old:***@git.example.org/linux.git');
      expect(body).not.toContain('s3cret');
    }
    // The stream of a bisection that has not finished stays open: read its first message from a real server.
    const url = await closed.listen({ port: 0, host: '127.0.0.1' });
    const ac = new AbortController();
    const res = await fetch(`${url}/api/v1/bisections/${id}/events`, { headers: auth('t-read'), signal: ac.signal });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    ac.abort();
    const first = new TextDecoder().decode(value);
    expect(first).toContain('event: created');
    expect(first).toContain('https://old:***@git.example.org/linux.git');
    expect(first).not.toContain('s3cret');
  });
});
