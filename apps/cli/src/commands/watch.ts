import { isAnswered } from '@kbisect/service';
import { apiClientFromEnv, type ApiClient } from '../api-client.js';
import { counted } from '../counted.js';
import { parseOptions } from '../parse-options.js';
import { formatEta, progressBar } from '../progress-bar.js';
import { SseParser } from '../sse-parser.js';
import { terminalSafeDeep } from '../terminal-safe.js';
import { UsageError } from '../usage-error.js';
import type { CliIo } from '../cli-io.js';


const short = (s: unknown): string => (typeof s === 'string' ? s.slice(0, 12) : '?');

/**
 * Follows a bisection's SSE stream until it finishes, redrawing a progress
 * bar on a terminal (a line per event otherwise). A dropped connection is
 * resumed with Last-Event-ID, so no event is missed or shown twice.
 */
export async function watchBisection(client: ApiClient, id: string, io: CliIo, opts: { console?: boolean } = {}): Promise<string> {
  let lastId: string | undefined;
  let status = 'unknown';
  let tested = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    const controller = new AbortController();
    let res: Response;
    try {
      res = await client.stream(`/api/v1/bisections/${id}/events`, lastId ? { 'last-event-id': lastId } : {}, controller.signal);
    } catch (err) {
      if (err instanceof Error && 'code' in err) throw err;
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
      continue;
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        for (const msg of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (msg.id) lastId = msg.id;
          const data = terminalSafeDeep(JSON.parse(msg.data) as Record<string, unknown>);
          const line = describeEvent(msg.event, data, tested, opts.console ?? false);
          if (msg.event === 'verdict' && data.source !== undefined && data.reused === undefined) tested += 1;
          if (line) {
            if (io.isTty) io.err(`\r\x1b[2K${line}`);
            else io.err(line);
          }
          if (msg.event === 'finished') {
            status = String(data.status);
            // Leaving the loop cancels the body; the server ends the stream after 'finished' anyway.
            return status;
          }
        }
      }
    } catch {
      // connection dropped: resume from lastId
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return status;
}

const PURPOSE_LABELS: Record<string, string> = {
  'check-bad': 'checking the bad end',
  'check-good': 'checking the good end',
  calibrate: 'calibrating at the bad end',
  'verify-culprit': 'verifying the culprit',
  'verify-parent': "verifying the culprit's parent",
  'verify-bad': 'verifying the bad end as is',
  'verify-revert': 'verifying the bad end',
};

export function describeEvent(event: string, d: Record<string, unknown>, tested: number, showConsole: boolean): string | undefined {
  switch (event) {
    case 'step-progress':
      if (d.phase === 'console') return showConsole && Array.isArray(d.lines) ? d.lines.map((l) => `    | ${String(l)}`).join('\n') : undefined;
      return `    ${String(d.phase)}: ${String(d.message)}`;
    case 'created':
      return `queued by ${String(d.by)}`;
    case 'initialized':
      return `range read: ${String(d.commits)} commits to bisect`;
    case 'step-started': {
      const p = d.progress as { candidatesLeft: number; stepsLeft: number; tested: number };
      const label = typeof d.purpose === 'string' ? PURPOSE_LABELS[d.purpose] : undefined;
      // Endpoint checks and verification are not bisect steps: no candidate count to show.
      if (label) return `${progressBar(p.tested ?? tested, p.stepsLeft)} ${label}: testing ${short(d.commit)}${d.subject ? ` ${JSON.stringify(d.subject)}` : ''}${typeof d.revert === 'string' ? ` with ${short(d.revert)} reverted` : ''}`;
      const forced = d.purpose === 'narrow' ? ' (narrowing, forced: BROKEN dropped)' : '';
      return `${progressBar(p.tested ?? tested, p.stepsLeft)} step ${p.tested + 1}${forced}: testing ${short(d.commit)}${d.subject ? ` ${JSON.stringify(d.subject)}` : ''}: ${counted(p.candidatesLeft, 'candidate')}, ~${counted(p.stepsLeft, 'step')} after this${formatEta(typeof d.etaSeconds === 'number' ? d.etaSeconds : undefined)}`;
    }
    case 'verdict':
      // A command probe's reason already says forced; a kernel's lab verdict does not.
      if (d.purpose === 'narrow') return `  ${short(d.commit)} is ${String(d.verdict)}${String(d.reason).startsWith('forced') ? '' : ', forced'} (${String(d.reason)})`;
      if (d.purpose === 'verify-revert') return `  ${short(d.commit)} with the culprit reverted is ${String(d.verdict)} (${String(d.reason)})${reusedNote(d.reused)}`;
      return `  ${short(d.commit)} is ${String(d.verdict)} (${String(d.reason)})${d.source === 'manual' ? ` [by ${String(d.by ?? 'a maintainer')}]` : ''}${reusedNote(d.reused)}`;
    case 'round':
      return roundLine(d);
    case 'run-placed':
      return `    ${short(d.commit)}${runNote(d)} on ${String(d.machine)}`;
    case 'parallel':
      return `k = ${String(d.k)}: ${String(d.ready)} ready in the lab, up to ${String(d.cap)} at once`;
    case 'cancel-requested':
      return `cancel requested by ${String(d.by)}`;
    case 'failed':
      return `failed: ${String(d.error)}`;
    case 'finished': {
      const n = d.narrowed as { culprit?: string; candidates?: string[] } | undefined;
      const narrowed = n ? `; narrowed, forced: ${n.culprit ? `${n.culprit} is the first bad commit` : `could be any of ${String(n.candidates?.length ?? 0)}`}` : '';
      return d.status === 'found' ? `found: ${String(d.culprit)} is the first bad commit` : `finished: ${String(d.status)}${d.error ? ` (${String(d.error)})` : ''}${narrowed}`;
    }
    default:
      return undefined;
  }
}

/** ` [reused from <id>]` for a verdict the shared cache answered. */
function reusedNote(reused: unknown): string {
  return typeof reused === 'object' && reused !== null && typeof (reused as { bisection?: unknown }).bisection === 'string' ? ` [reused from ${(reused as { bisection: string }).bisection}]` : '';
}

function runNote(d: Record<string, unknown>): string {
  return typeof d.run === 'number' && d.run > 0 ? ` (run ${d.run + 1})` : '';
}

/** `round N (k=K): testing a, b (cached verdicts disagree: tested here); reused c from <id>; shared d with <id>`. */
function roundLine(d: Record<string, unknown>): string {
  const runs = Array.isArray(d.runs) ? (d.runs as Record<string, unknown>[]) : [];
  const of = (via: string): Record<string, unknown>[] => runs.filter((r) => r.via === via);
  const parts = [
    of('test').length > 0 ? `testing ${of('test').map((r) => `${short(r.commit)}${runNote(r)}${r.disputed !== undefined ? ' (cached verdicts disagree: tested here)' : ''}`).join(', ')}` : '',
    ...of('reused').map((r) => `reused ${short(r.commit)}${runNote(r)} from ${String(r.from)}`),
    ...of('shared').map((r) => `waiting for ${short(r.commit)}${runNote(r)} from ${String(r.from)}`),
  ].filter(Boolean);
  return `round ${String(d.n)} (k=${String(d.k)}): ${parts.join('; ')}`;
}

export async function watchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions('watch', argv, { console: { type: 'boolean' } } as const);
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError('usage: kbisect watch <id> [--console]');
  const client = await apiClientFromEnv(process.env);
  const status = await watchBisection(client, id, io, { console: values.console ?? false });
  io.out((await client.request('GET', `/api/v1/bisections/${id}/report`, undefined, 'text/plain')).text.trimEnd());
  return isAnswered(status) ? 0 : 1;
}
