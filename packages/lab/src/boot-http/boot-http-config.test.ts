import { describe, expect, it } from 'vitest';
import { LabConfigError } from '../lab-errors.js';
import { bootHttpConfigFrom, DEFAULT_BOOT_HTTP } from './boot-http-config.js';

describe('the boot HTTP settings', () => {
  it.each([
    ['nothing set: loopback, a port the OS picks, seen by QEMU guests as 10.0.2.2', {}, DEFAULT_BOOT_HTTP],
    ['a lab address', { listen: '10.77.0.1:8069' }, { listenHost: '10.77.0.1', port: 8069, machineHost: '10.77.0.1', tokenTtlSec: 900 }],
    ['every address, with the one machines use', { listen: '0.0.0.0:8069', machineHost: 'lab-host.example' }, { listenHost: '0.0.0.0', port: 8069, machineHost: 'lab-host.example', tokenTtlSec: 900 }],
    ['IPv6', { listen: '[fd00::1]:8069', tokenTtlSec: '120' }, { listenHost: 'fd00::1', port: 8069, machineHost: 'fd00::1', tokenTtlSec: 120 }],
  ])('%s', (_name, settings, expected) => {
    expect(bootHttpConfigFrom(settings)).toEqual(expected);
  });

  it.each([
    ['a host name to listen on', { listen: 'lab-host:8069' }, 'KBISECT_BOOT_HTTP_LISTEN'],
    ['no port', { listen: '10.77.0.1' }, 'KBISECT_BOOT_HTTP_LISTEN'],
    ['a port above 65535', { listen: '10.77.0.1:70000' }, 'KBISECT_BOOT_HTTP_LISTEN'],
    ['not an address', { listen: '999.1.1.1:80' }, 'KBISECT_BOOT_HTTP_LISTEN'],
    ['every address without the machines\' one', { listen: '0.0.0.0:8069' }, 'KBISECT_BOOT_HTTP_HOST'],
    ['a machine host with a slash', { machineHost: 'a/b' }, 'KBISECT_BOOT_HTTP_HOST'],
    ['a TTL that is not a number', { tokenTtlSec: 'soon' }, 'KBISECT_BOOT_TOKEN_TTL_SEC'],
    ['a TTL too short to boot', { tokenTtlSec: '1' }, 'KBISECT_BOOT_TOKEN_TTL_SEC'],
  ])('refuses %s, naming the variable', (_name, settings, field) => {
    let err: unknown;
    try {
      bootHttpConfigFrom(settings);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabConfigError);
    expect(err).toMatchObject({ field, message: expect.stringContaining(`${field}:`) });
  });
});
