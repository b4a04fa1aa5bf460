/**
 * Remote text reaches the terminal inert: the real `kbisect` binary against
 * an HTTP server answering like an API whose data a hostile tree or console
 * wrote (subjects, reasons, console lines, test output with escape
 * sequences). Unit cases pin the stripping itself.
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeDeep } from './terminal-safe.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
const id = '00000000-0000-4000-8000-00000000abcd';
const sha = 'a'.repeat(40);
// Clear screen, window title (OSC), cursor up and erase, a C1 CSI, a bell, a backspace over text, DEL.
const EVIL = '\x1b[2J\x1b]0;pwned\x07\x1b[1A\x1b[2K\x9b31m\x07hid\x08\x08\x08den\x7f';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    if (path === `/api/v1/bisections/${id}/events`) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (n: number, event: string, data: unknown): boolean => res.write(`id: ${n}-0\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send(1, 'step-started', { type: 'step-started', commit: sha, subject: `mm: fix ${EVIL}`, progress: { candidatesLeft: 3, testableLeft: 3, stepsLeft: 1, tested: 0 } });
      send(2, 'step-progress', { type: 'step-progress', commit: sha, phase: 'console', message: 'console', lines: [`[    1.0] ${EVIL}`] });
      send(3, 'verdict', { type: 'verdict', commit: sha, verdict: 'bad', reason: `test said ${EVIL}`, source: 'probe' });
      send(4, 'finished', { type: 'finished', status: 'failed', error: `boom ${EVIL}` });
      res.end();
      return;
    }
    if (path.startsWith(`/api/v1/bisections/${id}/report`) || path === `/api/v1/bisections/${id}/log`) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`first bad commit: ${sha} mm: ${EVIL}\ntest output:\n\tline ${EVIL}\n`);
      return;
    }
    if (path.startsWith('/api/v1/machines')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [{ id: 'vm1', pool: 'virtual', mac: '52:54:00:00:00:01', bmc: { host: '127.0.0.1', port: 623 }, status: { state: 'quarantined', reason: `3 failures: ${EVIL}`, infraFailures: 3, updatedAt: 'now' } }] }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'KBISECT_ERR_NOT_FOUND', message: `no route ${EVIL}` } }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => new Promise<void>((done) => server.close(() => done())));

const cli = (args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 30_000, env: { ...process.env, KBISECT_URL: url, KBISECT_TOKEN: 't' } });
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('the CLI prints remote text without control characters', () => {
  const commands: [string, string[], string][] = [
    ['report', ['report', id], 'first bad commit'],
    ['log', ['log', id], 'first bad commit'],
    ['machines', ['machines', 'list'], '3 failures'],
    ['watch (subjects, console, reasons, errors)', ['watch', id, '--console'], 'test said'],
    ['an error message', ['report', '00000000-0000-4000-8000-000000000000'], 'no route'],
  ];
  for (const [name, args, shows] of commands) {
    it(`kbisect ${name}`, async () => {
      const run = await cli(args);
      const all = `${run.stdout}\n${run.stderr}`;
      expect(all).toContain(shows);
      expect(all).not.toMatch(CONTROL);
      expect(all).not.toContain('pwned');
    });
  }
});

describe('terminalSafe', () => {
  it('removes escape sequences whole and other control characters, keeping newlines, tabs and text', () => {
    expect(terminalSafe(`a${EVIL}b\n\tc`)).toBe('ahiddenb\n\tc');
    expect(terminalSafe('plain UTF-8: naïve – ok')).toBe('plain UTF-8: naïve – ok');
    expect(terminalSafe('\x1bP1$q\x1b\\x')).toBe('x');
  });

  it('cleans every string of a parsed JSON value', () => {
    expect(terminalSafeDeep({ a: ['\x1b[31mred', 1, null], b: { c: 'ok\x07' } })).toEqual({ a: ['red', 1, null], b: { c: 'ok' } });
  });
});
