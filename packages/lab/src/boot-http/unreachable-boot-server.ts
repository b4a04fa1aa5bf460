import { bootMethodOf, type MachineSpec } from '../machine.js';

/** 127.0.0.0/8, ::1 or localhost: an address only this host reaches. */
export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

/**
 * Why the boot file server cannot serve some registered machines, or
 * undefined. On loopback (the default) it serves the virtual lab's QEMU
 * guests, which reach the host's loopback through user networking; a
 * machine whose BMC is elsewhere is real hardware, and booting it over
 * `ipxe-http` would ask an address nobody there listens on — seen only as a
 * boot that never starts, a deadline later. Said once at the worker's start.
 */
export function unreachableBootServer(listenHost: string, machines: readonly MachineSpec[]): string | undefined {
  if (!isLoopback(listenHost)) return undefined;
  const remote = machines.filter((m) => bootMethodOf(m) === 'ipxe-http' && !isLoopback(m.bmc.host)).map((m) => m.id);
  if (remote.length === 0) return undefined;
  const shown = remote.length > 5 ? `${remote.slice(0, 5).join(', ')} and ${remote.length - 5} more` : remote.join(', ');
  return `the boot file server listens on ${listenHost} (loopback), which only this host's virtual machines reach, but ${shown} ${remote.length === 1 ? 'boots' : 'boot'} over HTTP (ipxe-http) from the lab network: set KBISECT_BOOT_HTTP_LISTEN to this host's address on that network`;
}
