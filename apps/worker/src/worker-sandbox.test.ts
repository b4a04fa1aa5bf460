import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { workerConfigFromEnv } from './worker-config.js';
import { openWorkerSandbox } from './worker-sandbox.js';

function memoryLogger(): { logger: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { out.push(chunk.toString()); done(); } });
  return { logger: pino({ level: 'info' }, sink), lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

describe('the worker sandbox setting', () => {
  it('defaults to on, takes off, and refuses anything else naming the variable', () => {
    expect(workerConfigFromEnv({}, ['build'], { cacheDir: '/c' })).toMatchObject({ sandbox: 'on', sandboxUser: 'kbisect-sandbox', probeReadPaths: [] });
    expect(workerConfigFromEnv({ KBISECT_SANDBOX: 'off', KBISECT_PROBE_READ_PATHS: '/opt/tests:/srv/tools' }, ['build'], { cacheDir: '/c' })).toMatchObject({ sandbox: 'off', probeReadPaths: ['/opt/tests', '/srv/tools'] });
    expect(() => workerConfigFromEnv({ KBISECT_SANDBOX: 'maybe' }, ['build'], { cacheDir: '/c' })).toThrow("KBISECT_SANDBOX: 'maybe' is neither 'on' nor 'off'");
    expect(() => workerConfigFromEnv({ KBISECT_PROBE_READ_PATHS: 'relative/dir' }, ['test'], { cacheDir: '/c' })).toThrow("KBISECT_PROBE_READ_PATHS: 'relative/dir' is not an absolute path");
    expect(() => workerConfigFromEnv({ KBISECT_SANDBOX_USER: 'Root;rm' }, ['test'], { cacheDir: '/c' })).toThrow(/sandboxUser/);
  });
});

describe('opening the worker sandbox at start (real bwrap)', () => {
  it('on: probes bwrap and says it is ready', async () => {
    const { logger, lines } = memoryLogger();
    const opened = await openWorkerSandbox({ sandbox: 'on', sandboxUser: 'kbisect-sandbox' }, logger);
    expect(opened.status).toBe('ready');
    expect(lines()).toEqual([expect.objectContaining({ level: 30, msg: expect.stringContaining('sandbox ready') })]);
  });

  it('off: an error-level line saying everything runs unconfined', async () => {
    const { logger, lines } = memoryLogger();
    expect((await openWorkerSandbox({ sandbox: 'off', sandboxUser: 'kbisect-sandbox' }, logger)).status).toBe('off');
    expect(lines()).toEqual([expect.objectContaining({ level: 50, msg: expect.stringContaining('SANDBOX OFF (KBISECT_SANDBOX=off)') })]);
  });

  it.skipIf(process.getuid?.() !== 0)('unavailable: says why and that builds and probes will be refused', async () => {
    const { logger, lines } = memoryLogger();
    const opened = await openWorkerSandbox({ sandbox: 'on', sandboxUser: 'kbisect-nobody-here' }, logger);
    expect(opened.status).toBe('unavailable');
    expect(lines()).toEqual([expect.objectContaining({ level: 50, msg: expect.stringMatching(/^sandbox unavailable: sandbox user: no system user 'kbisect-nobody-here'.*refuses kernel builds and command probes/) })]);
  });
});
