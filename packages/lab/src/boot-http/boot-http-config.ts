import { isIP } from 'node:net';
import { LabConfigError } from '../lab-errors.js';
import { isLoopback } from './unreachable-boot-server.js';

/**
 * Where the lab worker's boot file server listens and how machines reach it.
 * Read once at the worker's start (KBISECT_BOOT_HTTP_LISTEN, KBISECT_BOOT_HTTP_HOST,
 * KBISECT_BOOT_TOKEN_TTL_SEC); a bad value stops the worker with its name.
 */
export interface BootHttpConfig {
  /** The address the server binds: the lab network's address of this host. @defaultValue '127.0.0.1' */
  readonly listenHost: string;
  /** 0 lets the OS choose (only useful with the virtual lab). @defaultValue 0 */
  readonly port: number;
  /** The address machines put in their URLs. @defaultValue listenHost, or 10.0.2.2 when listening on loopback */
  readonly machineHost: string;
  /** How long a per-boot URL lives if the boot test does not end it first. @defaultValue 900 */
  readonly tokenTtlSec: number;
}

/**
 * QEMU's user network shows the host's loopback to guests as 10.0.2.2: a
 * server on 127.0.0.1 is reachable from the virtual lab's machines, and
 * from nothing else.
 */
export const QEMU_USER_NET_HOST = '10.0.2.2';

export const DEFAULT_BOOT_HTTP: BootHttpConfig = { listenHost: '127.0.0.1', port: 0, machineHost: QEMU_USER_NET_HOST, tokenTtlSec: 900 };

/** Parses the worker's settings; every refusal names its variable. */
export function bootHttpConfigFrom(settings: { listen?: string | undefined; machineHost?: string | undefined; tokenTtlSec?: string | undefined }): BootHttpConfig {
  const listen = settings.listen ?? '';
  let listenHost = DEFAULT_BOOT_HTTP.listenHost;
  let port = DEFAULT_BOOT_HTTP.port;
  if (listen !== '') {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(listen);
    if (!m) throw new LabConfigError(`KBISECT_BOOT_HTTP_LISTEN: '${listen}' is not <IPv4>:<port> or [<IPv6>]:<port>`, 'KBISECT_BOOT_HTTP_LISTEN');
    listenHost = m[1] ?? m[2]!;
    port = Number(m[3]);
    if (isIP(listenHost) === 0) throw new LabConfigError(`KBISECT_BOOT_HTTP_LISTEN: '${listenHost}' is not an IP address`, 'KBISECT_BOOT_HTTP_LISTEN');
    if (port > 65_535) throw new LabConfigError(`KBISECT_BOOT_HTTP_LISTEN: port ${port} is above 65535`, 'KBISECT_BOOT_HTTP_LISTEN');
  }
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  const loopback = isLoopback(listenHost);
  let machineHost = settings.machineHost ?? '';
  if (machineHost === '') {
    // A wildcard listener has no single address machines could use: the operator must say which.
    if (wildcard) throw new LabConfigError(`KBISECT_BOOT_HTTP_HOST: required when KBISECT_BOOT_HTTP_LISTEN binds every address (${listenHost}); give the address machines reach`, 'KBISECT_BOOT_HTTP_HOST');
    machineHost = loopback ? QEMU_USER_NET_HOST : listenHost;
  } else if (!/^(?!-)[A-Za-z0-9.-]{1,253}$/.test(machineHost) && isIP(machineHost) !== 6) {
    throw new LabConfigError(`KBISECT_BOOT_HTTP_HOST: '${machineHost}' is not a host name or IP address`, 'KBISECT_BOOT_HTTP_HOST');
  }
  const ttlRaw = settings.tokenTtlSec ?? '';
  const tokenTtlSec = ttlRaw === '' ? DEFAULT_BOOT_HTTP.tokenTtlSec : Number(ttlRaw);
  if (!Number.isInteger(tokenTtlSec) || tokenTtlSec < 10 || tokenTtlSec > 86_400) throw new LabConfigError(`KBISECT_BOOT_TOKEN_TTL_SEC: '${ttlRaw}' is not a whole number of seconds from 10 to 86400`, 'KBISECT_BOOT_TOKEN_TTL_SEC');
  return { listenHost, port, machineHost, tokenTtlSec };
}
