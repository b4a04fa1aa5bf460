/**
 * bench/e2e — the real-kernel demo bisection, measured by phase.
 *
 * Input: none (runs `kbisect demo`'s bisection: Debian linux-source-6.1 with
 *   an injected vfio pinning regression, kernel probe, virtual lab); uses the
 *   kbisect cache dir (KBISECT_CACHE_DIR), so a second run shows cache hits.
 * Output (stdout; the demo's transcript on stderr): steps, builds, artifact-cache hits, boots, and wall time
 *   per phase — Kconfig probe, build, boot (power-on → reproducer start),
 *   test (the reproducer's own run), lab overhead (staging, IPMI, power-off)
 *   — read from the bisection's event log, plus the total.
 */
import { kernelDemo, type ApiClient } from 'kbisect';

interface Ev { type: string; at: string; commit?: string; phase?: string; message?: string; source?: string; metrics?: Record<string, number> }
const secs = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 1000;
const cacheDir = process.env.KBISECT_CACHE_DIR ?? `${process.env.HOME}/.cache/kbisect`;
const stateDir = process.env.KBISECT_STATE_DIR ?? `${process.env.HOME}/.local/state/kbisect`;
// The demo's own transcript goes to stderr; the figures to stdout.
const io = { out: (l: string) => void process.stderr.write(`${l}\n`), err: (l: string) => void process.stderr.write(`${l}\n`), isTty: false };

let report = '';
const code = await kernelDemo(io, { cacheDir, stateDir }, async (client: ApiClient, id: string) => {
  const sse = await client.request('GET', `/api/v1/bisections/${id}/events`, undefined, 'text/event-stream');
  const events: Ev[] = sse.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Ev);
  const at = (type: string) => events.find((e) => e.type === type)?.at ?? '';
  const verdicts = events.filter((e) => e.type === 'verdict' && e.source === 'probe');
  const builds = events.filter((e) => e.type === 'step-progress' && e.phase === 'build' && /^built in/.test(e.message ?? ''));
  const hits = events.filter((e) => e.type === 'step-progress' && e.phase === 'build' && /artifact cache/.test(e.message ?? ''));
  const boots = events.filter((e) => e.type === 'step-progress' && e.phase === 'lab' && /^booting on/.test(e.message ?? ''));
  let build = 0;
  for (const e of [...builds, ...hits]) {
    const start = [...events].reverse().find((s) => s.type === 'step-started' && s.commit === e.commit && s.at <= e.at);
    if (start) build += secs(start.at, e.at);
  }
  const m = (k: string) => verdicts.reduce((sum, v) => sum + (v.metrics?.[k] ?? 0), 0);
  const test = m('seconds');
  const boot = m('resultSeconds') - test;
  const lab = m('totalSeconds') - m('resultSeconds');
  report = [
    `bench/e2e: bisection ${id}`,
    `steps (commits tested): ${verdicts.length}; builds: ${builds.length}; artifact-cache hits: ${hits.length}; boots: ${boots.length}`,
    `probe (read range + Kconfig probe): ${secs(at('created'), at('initialized')).toFixed(1)} s`,
    `build: ${build.toFixed(1)} s`,
    `boot (power-on → reproducer start): ${boot.toFixed(1)} s`,
    `test (reproducer runs): ${test.toFixed(1)} s`,
    `lab overhead (stage, IPMI, power-off verified): ${lab.toFixed(1)} s`,
    `total wall time, submit → finished: ${secs(at('created'), at('finished')).toFixed(1)} s`,
  ].join('\n');
});
console.log(report || 'bench/e2e: the demo did not finish');
process.exitCode = code;
