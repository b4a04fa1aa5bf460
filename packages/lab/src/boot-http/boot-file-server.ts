import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabConfigError, LabInfraError } from '../lab-errors.js';
import { BOOT_FILE_NAMES, type BootFetch, type BootFileName } from './boot-fetch.js';
import { BootGrantTable } from './boot-grant-table.js';
import type { BootHttpConfig } from './boot-http-config.js';

/** What a boot test asks for: these files, for this machine, for this long. */
export interface BootGrantRequest {
  readonly machineId: string;
  readonly jobId: string;
  readonly files: Readonly<Record<BootFileName, string>>;
  /** @defaultValue the server's tokenTtlSec */
  readonly ttlMs?: number;
}

/** One boot's URLs; revoking ends them at once (the boot test does it when it ends). */
export interface BootGrant {
  readonly urls: Readonly<Record<BootFileName, string>>;
  /** Every request made with this grant's token, in order. */
  fetches(): readonly BootFetch[];
  revoke(): Promise<void>;
}

/** The port a boot test needs: the HTTP server in the lab worker, or anything else that hands out per-boot URLs. */
export interface BootFileGrants {
  grant(req: BootGrantRequest): Promise<BootGrant>;
}

interface OpenGrant {
  readonly machineId: string;
  readonly jobId: string;
  readonly files: ReadonlyMap<string, { readonly handle: FileHandle; readonly size: number }>;
  readonly fetches: BootFetch[];
  readonly timer: NodeJS.Timeout;
}

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/**
 * The lab worker's boot file server: machines fetch a test's kernel and
 * initramfs from `/boot/<token>/vmlinuz` and `/boot/<token>/initrd.img`,
 * where the token is 128 random bits issued for that one boot. GET and HEAD
 * only, with Content-Length (iPXE needs no ranges); every other path, an
 * unknown token, or one that was revoked or ran out is a 404, logged.
 *
 * The files are opened when the grant is made and served from those open
 * handles, so a cache that replaces or evicts a file during the boot never
 * changes what the machine gets.
 */
export class BootFileServer implements BootFileGrants {
  private readonly table = new BootGrantTable<OpenGrant>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly config: BootHttpConfig,
    /** The base URL machines use, e.g. `http://10.77.0.1:8069`. */
    readonly baseUrl: string,
    private readonly onFetch: (f: BootFetch) => void,
  ) {}

  static async start(config: BootHttpConfig, opts: { onFetch?: (f: BootFetch) => void } = {}): Promise<BootFileServer> {
    const server = createServer();
    // A machine that opens a connection and sends nothing must not hold it forever.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new LabConfigError(`boot HTTP server cannot listen on ${config.listenHost}:${config.port}: ${err.code ?? err.message}`, 'bootHttp.listen')));
      server.listen(config.port, config.listenHost, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.machineHost.includes(':') ? `[${config.machineHost}]` : config.machineHost;
    const boot = new BootFileServer(server, config, `http://${host}:${port}`, opts.onFetch ?? (() => undefined));
    server.on('request', (req, res) => boot.handle(req, res));
    return boot;
  }

  /** The port the server listens on (the configured one, or the one the OS chose for port 0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async grant(req: BootGrantRequest): Promise<BootGrant> {
    if (this.closed) throw new LabInfraError('pxe-staging', 'the boot HTTP server is closed');
    // 128 random bits: unguessable for a URL that lives minutes, and short enough that iPXE prints it on one 80-column console line.
    const token = randomBytes(16).toString('base64url');
    const files = new Map<string, { handle: FileHandle; size: number }>();
    try {
      for (const name of BOOT_FILE_NAMES) {
        const handle = await open(req.files[name], 'r');
        files.set(name, { handle, size: (await handle.stat()).size });
      }
    } catch (err) {
      await Promise.all([...files.values()].map((f) => f.handle.close().catch(() => undefined)));
      throw new LabInfraError('pxe-staging', `cannot open the boot files of ${req.jobId}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, req.machineId);
    }
    const ttl = req.ttlMs ?? this.config.tokenTtlSec * 1000;
    // Runs out on its own even if the boot test never comes back to revoke it.
    const timer = setTimeout(() => void this.retire(token, 'expired'), ttl);
    timer.unref();
    const open_: OpenGrant = { machineId: req.machineId, jobId: req.jobId, files, fetches: [], timer };
    this.table.add(token, open_, Date.now() + ttl);
    const url = (name: BootFileName): string => `${this.baseUrl}/boot/${token}/${name}`;
    return {
      urls: { vmlinuz: url('vmlinuz'), 'initrd.img': url('initrd.img') },
      fetches: () => [...open_.fetches],
      revoke: () => this.retire(token),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.table.unrevoked().map(([token]) => this.retire(token)));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async retire(token: string, why: 'revoked' | 'expired' = 'revoked'): Promise<void> {
    const g = this.table.revoke(token, why);
    if (g === undefined) return;
    clearTimeout(g.timer);
    await Promise.all([...g.files.values()].map((f) => f.handle.close().catch(() => undefined)));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    const method = req.method ?? '?';
    const base = { at: new Date(started).toISOString(), method, ...(req.socket.remoteAddress ? { remote: req.socket.remoteAddress } : {}) };
    const refuse = (status: number, refused: string, extra: Partial<BootFetch> = {}, grant?: OpenGrant): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store', ...(status === 405 ? { allow: 'GET, HEAD' } : {}) });
      res.end(status === 405 ? 'method not allowed\n' : 'not found\n');
      this.record({ ...base, ...extra, status, bytes: 0, ms: Date.now() - started, complete: false, refused }, grant);
    };
    // The path is compared as it came: no decoding, so no %2e%2e or doubled slashes reach a lookup.
    const m = /^\/boot\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
    if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method');
    if (!m || !TOKEN.test(m[1]!)) return refuse(404, 'bad path');
    const file = m[2]!;
    const found = this.table.lookup(m[1]!, Date.now());
    if (found.kind === 'unknown') return refuse(404, 'unknown token', { file: printable(file) });
    const g = found.value;
    const who = { machineId: g.machineId, jobId: g.jobId, file: printable(file) };
    if (found.kind !== 'live') return refuse(404, `${found.kind} token`, who, g);
    const served = g.files.get(file);
    if (served === undefined) return refuse(404, 'no such file', who, g);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.size, 'cache-control': 'no-store' });
    if (method === 'HEAD' || served.size === 0) {
      res.end();
      this.record({ ...base, ...who, status: 200, bytes: 0, ms: Date.now() - started, complete: true }, g);
      return;
    }
    let bytes = 0;
    const stream = served.handle.createReadStream({ start: 0, end: served.size - 1, autoClose: false });
    stream.on('data', (chunk) => {
      bytes += chunk.length;
    });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.record({ ...base, ...who, status: 200, bytes, ms: Date.now() - started, complete: bytes === served.size && res.writableFinished }, g);
    };
    stream.on('error', () => res.destroy());
    res.on('finish', finish);
    res.on('close', () => {
      stream.destroy();
      finish();
    });
    stream.pipe(res);
  }

  private record(f: BootFetch, grant?: OpenGrant): void {
    grant?.fetches.push(f);
    this.onFetch(f);
  }
}

/** A file name from a request, safe to log (it is whatever the client sent). */
function printable(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
}
