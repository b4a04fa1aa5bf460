import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole } from './console-capture.js';
import { freePort } from './virtual-lab/free-port.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-console-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe('console capture', () => {
  it('TCP: waits for a console that is not listening yet, and reconnects after a drop', async () => {
    const port = await freePort('tcp');
    const logFile = join(dir, 'tcp.log');
    const capture = await openConsole({ type: 'tcp', host: '127.0.0.1', port }, { logFile, pollMs: 50 });
    await new Promise((r) => setTimeout(r, 200)); // nothing listens yet
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.end(sockets.length === 1 ? 'first boot\r\nLinux version 6.1\r\n' : 'second connection\n');
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    await until(() => capture.text().includes('second connection'));
    await capture.close();
    server.close();
    expect(capture.text()).toBe('first boot\nLinux version 6.1\nsecond connection\n');
    expect(await readFile(logFile, 'utf8')).toBe('first boot\r\nLinux version 6.1\r\nsecond connection\n');
    expect(capture.firstByteAfterSec()).toBeGreaterThan(0.1);
  });

  it('file: reads only what is written after it opened', async () => {
    const path = join(dir, 'conserver.log');
    await writeFile(path, 'yesterday\n');
    const capture = await openConsole({ type: 'file', path }, { logFile: join(dir, 'file.log'), pollMs: 50 });
    await appendFile(path, 'KBISECT-INIT-START\n');
    await until(() => capture.text().includes('INIT'));
    await appendFile(path, 'KBISECT-RESULT {"verdict":"good"}\n');
    await capture.close();
    expect(capture.text()).toBe('KBISECT-INIT-START\nKBISECT-RESULT {"verdict":"good"}\n');
  });

  it('keeps the head and the tail in memory when the console floods, and all of it on disk', async () => {
    const path = join(dir, 'flood.log');
    await writeFile(path, '');
    const logFile = join(dir, 'flood-evidence.log');
    const capture = await openConsole({ type: 'file', path }, { logFile, pollMs: 20, memoryLimit: 1000 });
    await appendFile(path, 'BANNER\n');
    await until(() => capture.bytes() > 0);
    for (let i = 0; i < 30; i++) {
      await appendFile(path, `${String(i).padStart(99, '.')}\n`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await appendFile(path, 'LAST\n');
    await capture.close();
    expect(capture.text().startsWith('BANNER\n')).toBe(true);
    expect(capture.text().endsWith('LAST\n')).toBe(true);
    expect(capture.text().length).toBeLessThanOrEqual(1200);
    expect((await readFile(logFile, 'utf8')).length).toBe(7 + 30 * 100 + 5);
  });
});
