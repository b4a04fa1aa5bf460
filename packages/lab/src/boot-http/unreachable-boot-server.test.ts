import { describe, expect, it } from 'vitest';
import type { MachineSpec } from '../machine.js';
import { unreachableBootServer } from './unreachable-boot-server.js';

const machine = (id: string, bmcHost: string, method?: 'ipxe-http' | 'tftp'): MachineSpec => ({
  id, pool: 'p', arch: 'x86_64', mac: '52:54:00:00:00:01', bmc: { host: bmcHost, port: 623, user: 'admin', password: { file: '/etc/kbisect/bmc/x' } },
  console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp', loader: 'ipxe', ...(method ? { method } : {}) }, cmdline: 'console=ttyS0',
});

describe('a boot file server on loopback, and the machines that would fetch from it', () => {
  it.each([
    ['the virtual lab alone (BMCs on this host)', '127.0.0.1', [machine('vm1', '127.0.0.1', 'ipxe-http'), machine('vm2', '::1', 'ipxe-http')], undefined],
    ['a real machine booting over TFTP', '127.0.0.1', [machine('lab-1', '10.77.0.21', 'tftp'), machine('lab-2', 'bmc2.lab')], undefined],
    ['a real ipxe-http machine, server on the lab network', '10.77.0.1', [machine('lab-1', '10.77.0.21', 'ipxe-http')], undefined],
    ['no machines registered yet', '127.0.0.1', [], undefined],
    ['a real ipxe-http machine, server on loopback', '127.0.0.1', [machine('vm1', '127.0.0.1', 'ipxe-http'), machine('lab-1', '10.77.0.21', 'ipxe-http')],
      'the boot file server listens on 127.0.0.1 (loopback), which only this host\'s virtual machines reach, but lab-1 boots over HTTP (ipxe-http) from the lab network: set KBISECT_BOOT_HTTP_LISTEN to this host\'s address on that network'],
  ])('%s', (_name, listenHost, machines, expected) => {
    expect(unreachableBootServer(listenHost, machines)).toBe(expected);
  });

  it('names at most five machines and counts the rest', () => {
    const many = Array.from({ length: 7 }, (_, i) => machine(`lab-${i}`, `bmc${i}.lab`, 'ipxe-http'));
    expect(unreachableBootServer('::1', many)).toContain('but lab-0, lab-1, lab-2, lab-3, lab-4 and 2 more boot over HTTP');
  });
});
