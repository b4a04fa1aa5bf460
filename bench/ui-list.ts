/**
 * bench/ui-list — the web UI's bisections list on a service with many bisections.
 *
 * Input: --bisections N stored (default 10000), --samples K requests per
 *   case (default 15). Every 10th bisection is finished with a culprit whose
 *   subject holds a word; the rest are queued. Trees: 20, submitters: 10.
 * Output: the median and p90 of GET /api/v1/bisections for: the first page
 *   (50 rows), a page deep in the list (after 9,000, by cursor), a tree
 *   filter, a submitter filter, a text filter matching 1 in 10 and one
 *   matching a single bisection (reads every answered one's search summary);
 *   each with its ratio to a baseline measured in the same run, GET /healthz
 *   (one Redis round trip). Before those, once: the first text search on
 *   results stored without search summaries (as by a version before them),
 *   which folds every answered bisection and stores its summary.
 *   Redis at REDIS_URL (else 127.0.0.1:6379) under a throwaway namespace.
 */
import { apiTestApp } from '../test/support/api-app.js';
import { numberFlag } from './flags.js';

const count = numberFlag('bisections', 10_000);
const samples = numberFlag('samples', 15);
const t = await apiTestApp('bench-list', [{ name: 'bench', role: 'read' }]);
const { app, store } = t;
const token = 't-bench';
const url = await app.listen({ port: 0, host: '127.0.0.1' });

const probe = { type: 'command' as const, command: 'make check' };
let deepCursor = '';
for (let i = 0; i < count; i++) {
  const id = await store.create({ repo: `/srv/tree-${i % 20}`, good: ['v1'], bad: 'v2', probe }, `user-${i % 10}`, new Date(1_700_000_000_000 + i * 1000));
  if (i % 10 === 0) {
    const culprit = (i + 1).toString(16).padStart(40, '0');
    await store.setStatus(id, 'found');
    await store.log.append(id, { type: 'finished', at: new Date().toISOString(), status: 'found', culprit, commits: [{ sha: culprit, subject: `mm: change ${i === 4000 ? 'unique-needle' : 'pinning'} ${i}`, authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2020-01-01T00:00:00Z' }] });
  }
}
// The cursor after the newest 9,000: a page deep in the list.
{
  let cursor: string | undefined;
  for (let seen = 0; seen < Math.min(9000, count - 50); seen += 200) {
    const page = await store.list({ limit: 200, ...(cursor ? { after: cursor } : {}) });
    cursor = page.next;
  }
  deepCursor = cursor ?? '';
}

const time = async (path: string): Promise<number[]> => {
  const xs: number[] = [];
  await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer());
  for (let k = 0; k < samples; k++) {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    xs.push(performance.now() - t);
  }
  return xs.sort((a, b) => a - b);
};
const median = (xs: number[]): number => xs[xs.length >> 1]!;
const p90 = (xs: number[]): number => xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;
const base = await time('/healthz');
console.log(`GET /api/v1/bisections with ${count} bisections stored, ${samples} requests per case (ms; ratio to GET /healthz's median ${median(base).toFixed(1)} ms)`);
// The results were appended straight to the logs, without summaries: the first text search folds and stores them.
{
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/bisections?limit=50&q=unique-needle`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`first text search: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  console.log(`first text search, no summaries stored yet (folds all answered, stores their summaries; once): ${(performance.now() - t0).toFixed(1)} ms`);
}
const cases: [string, string][] = [
  ['first page, 50 rows', '/api/v1/bisections?limit=50'],
  ['page after 9,000 (cursor)', `/api/v1/bisections?limit=50&cursor=${encodeURIComponent(deepCursor)}`],
  ['tree filter (1 in 20)', '/api/v1/bisections?limit=50&repo=/srv/tree-7'],
  ['submitter filter (1 in 10)', '/api/v1/bisections?limit=50&submittedBy=user-3'],
  ['text filter (1 in 10 match)', '/api/v1/bisections?limit=50&q=pinning'],
  ['text filter (1 match: all summaries)', '/api/v1/bisections?limit=50&q=unique-needle'],
];
for (const [label, path] of cases) {
  const xs = await time(path);
  console.log(`  ${label.padEnd(36)} median ${median(xs).toFixed(1).padStart(7)}  p90 ${p90(xs).toFixed(1).padStart(7)}  ${(median(xs) / median(base)).toFixed(1)}x`);
}
await t.close();
