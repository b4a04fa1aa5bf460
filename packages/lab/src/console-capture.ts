import { createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { execa } from 'execa';
import type { ConsoleSource } from './machine.js';
import type { IpmiClient } from './ipmi-client.js';

export interface ConsoleCapture {
  /** Everything read so far (bounded in memory; the log file has all of it). */
  text(): string;
  /** Bytes read so far. */
  bytes(): number;
  /** Seconds since the capture opened at which the first byte arrived. */
  firstByteAfterSec(): number | undefined;
  close(): Promise<void>;
}

export interface CaptureOptions {
  /** Every byte is appended here: the evidence. */
  readonly logFile: string;
  readonly onText?: (chunk: string) => void;
  /** Needed for `sol` consoles. */
  readonly ipmi?: IpmiClient;
  /** Keep at most this much in memory. @defaultValue 8 MiB */
  readonly memoryLimit?: number;
  /** Pause between connection attempts and file polls. @defaultValue 200 */
  readonly pollMs?: number;
}

/**
 * Opens a machine's console before it is powered on and reads it until
 * closed. A TCP console is (re)connected in the background as long as the
 * capture is open: a console server or QEMU's socket may not listen yet,
 * and a reboot may drop the connection.
 */
export async function openConsole(source: ConsoleSource, opts: CaptureOptions): Promise<ConsoleCapture> {
  const sink = new ConsoleSink(opts);
  switch (source.type) {
    case 'tcp':
      return sink.attach(tcpReader(source.host, source.port, sink, opts.pollMs ?? 200));
    case 'file':
      return sink.attach(await fileReader(source.path, sink, opts.pollMs ?? 200));
    case 'sol':
      if (!opts.ipmi) throw new Error('a sol console needs the machine\'s IPMI client');
      return sink.attach(await solReader(opts.ipmi, sink));
  }
}

class ConsoleSink {
  private chunks: string[] = [];
  private held = 0;
  private total = 0;
  private first: number | undefined;
  private readonly opened = Date.now();
  private readonly log: WriteStream;
  private readonly decoder = new TextDecoder('utf-8');
  constructor(private readonly opts: CaptureOptions) {
    this.log = createWriteStream(opts.logFile, { flags: 'a' });
  }
  push(data: Buffer): void {
    if (data.length === 0) return;
    this.first ??= Date.now();
    this.total += data.length;
    this.log.write(data);
    const text = this.decoder.decode(data, { stream: true }).replace(/\r/g, '');
    this.chunks.push(text);
    this.held += text.length;
    const limit = this.opts.memoryLimit ?? 8 * 1024 * 1024;
    // Keep the head (boot banner, init markers) and drop from the middle.
    while (this.held > limit && this.chunks.length > 2) this.held -= this.chunks.splice(1, 1)[0]!.length;
    this.opts.onText?.(text);
  }
  attach(stop: () => Promise<void>): ConsoleCapture {
    return {
      text: () => this.chunks.join(''),
      bytes: () => this.total,
      firstByteAfterSec: () => (this.first === undefined ? undefined : (this.first - this.opened) / 1000),
      close: async () => {
        await stop();
        await new Promise<void>((resolve) => this.log.end(resolve));
      },
    };
  }
}

function tcpReader(host: string, port: number, sink: ConsoleSink, pollMs: number): () => Promise<void> {
  let closed = false;
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (): void => {
    if (closed) return;
    const s = connect({ host, port });
    socket = s;
    s.on('data', (d: Buffer) => sink.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      if (socket === s) socket = undefined;
      if (!closed) timer = setTimeout(attempt, pollMs);
    });
  };
  attempt();
  return async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    const s = socket;
    if (s && !s.destroyed) await new Promise<void>((resolve) => s.end(resolve));
    s?.destroy();
  };
}

async function fileReader(path: string, sink: ConsoleSink, pollMs: number): Promise<() => Promise<void>> {
  // Only what is written from now on belongs to this test.
  let offset = await stat(path).then((s) => s.size, () => 0);
  let closed = false;
  const read = async (): Promise<void> => {
    const handle = await open(path, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      const size = (await handle.stat()).size;
      if (size < offset) offset = 0; // rotated or truncated
      while (offset < size) {
        const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        sink.push(buf.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    if (!closed) running = running.then(read);
  }, pollMs);
  return async () => {
    closed = true;
    clearInterval(timer);
    await running;
    await read();
  };
}

async function solReader(ipmi: IpmiClient, sink: ConsoleSink): Promise<() => Promise<void>> {
  // A session left open by a crashed worker would make activate fail.
  await ipmi.solDeactivate().catch(() => undefined);
  let closed = false;
  const spawnSol = () => {
    const cmd = ipmi.solActivateCommand();
    return execa(cmd.file, cmd.args, { env: cmd.env, reject: false, stdin: 'pipe', buffer: false });
  };
  let child: ReturnType<typeof spawnSol> | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Some BMCs (ipmi_sim among them) can only open SOL once the host's serial
  // port is up, so a session that ends or fails is opened again until closed.
  const attempt = (): void => {
    if (closed) return;
    const c = spawnSol();
    child = c;
    c.stdout?.on('data', (d: Buffer) => sink.push(stripSolBanner(d)));
    void c.then(() => {
      if (child === c) child = undefined;
      if (!closed) timer = setTimeout(() => void ipmi.solDeactivate().catch(() => undefined).then(attempt), 1000);
    });
  };
  attempt();
  return async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    const c = child;
    if (c) {
      // "~." is SOL's escape to end the session cleanly; the kill is the backstop.
      c.stdin?.end('~.\n');
      const done = await Promise.race([c.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2000))]);
      if (!done) c.kill('SIGKILL');
      await c.catch(() => undefined);
    }
    await ipmi.solDeactivate().catch(() => undefined);
  };
}

/** ipmitool's own session chatter is not console output. */
function stripSolBanner(d: Buffer): Buffer {
  const text = d.toString('latin1');
  if (!text.includes('[SOL Session operational') && !text.includes('[terminated ipmitool]')) return d;
  return Buffer.from(text.replace(/\[SOL Session operational\.[^\]]*\]\r?\n?/g, '').replace(/\[terminated ipmitool\]\r?\n?/g, ''), 'latin1');
}
