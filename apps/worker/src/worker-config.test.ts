import { describe, expect, it } from 'vitest';
import { WorkerConfigError, workerConfigFromEnv } from './worker-config.js';

/** Each environment stops the worker at start with an error naming its variable. */
function stopsAtStart(cases: [Record<string, string>, string | RegExp][]): void {
  it.each(cases)('stops the worker at start on %o, naming the variable', (env, message) => {
    expect(() => workerConfigFromEnv(env, ['test'], { cacheDir: '/c' })).toThrow(WorkerConfigError);
    expect(() => workerConfigFromEnv(env, ['test'], { cacheDir: '/c' })).toThrow(message);
  });
}

describe('the boot file server settings of a worker', () => {
  it('defaults to loopback and a port the OS picks, which the virtual lab reaches as 10.0.2.2', () => {
    expect(workerConfigFromEnv({}, ['test'], { cacheDir: '/c' }).bootHttp).toEqual({ listenHost: '127.0.0.1', port: 0, machineHost: '10.0.2.2', tokenTtlSec: 900 });
  });

  it('takes a lab address, the name machines use and the URLs\' lifetime', () => {
    expect(workerConfigFromEnv({ KBISECT_BOOT_HTTP_LISTEN: '10.77.0.1:8069', KBISECT_BOOT_HTTP_HOST: 'lab1.example', KBISECT_BOOT_TOKEN_TTL_SEC: '300' }, ['test'], { cacheDir: '/c' }).bootHttp)
      .toEqual({ listenHost: '10.77.0.1', port: 8069, machineHost: 'lab1.example', tokenTtlSec: 300 });
  });

  stopsAtStart([
    [{ KBISECT_BOOT_HTTP_LISTEN: 'lab1:8069' }, /^KBISECT_BOOT_HTTP_LISTEN: 'lab1:8069' is not <IPv4>:<port>/],
    [{ KBISECT_BOOT_HTTP_LISTEN: '0.0.0.0:8069' }, /^KBISECT_BOOT_HTTP_HOST: required when KBISECT_BOOT_HTTP_LISTEN binds every address/],
    [{ KBISECT_BOOT_TOKEN_TTL_SEC: '0' }, /^KBISECT_BOOT_TOKEN_TTL_SEC: '0' is not a whole number of seconds/],
  ]);
});

describe('the directory lists of a worker', () => {
  it('reads colon-separated lab roots and probe paths, trimmed, empty items dropped', () => {
    const config = workerConfigFromEnv({ KBISECT_LAB_ROOTS: '/srv/tftp : /etc/kbisect:', KBISECT_PROBE_READ_PATHS: ':/opt/tests: ' }, ['test'], { cacheDir: '/c' });
    expect(config.labRoots).toEqual(['/srv/tftp', '/etc/kbisect']);
    expect(config.probeReadPaths).toEqual(['/opt/tests']);
  });

  it('keeps the default lab roots when KBISECT_LAB_ROOTS is unset', () => {
    expect(workerConfigFromEnv({}, ['test'], { cacheDir: '/c' }).labRoots).toEqual(['/c', '/var/lib/kbisect', '/srv/tftp', '/etc/kbisect']);
  });

  stopsAtStart([
    [{ KBISECT_LAB_ROOTS: 'srv/tftp' }, "KBISECT_LAB_ROOTS: 'srv/tftp' is not an absolute path"],
    [{ KBISECT_LAB_ROOTS: ' : ' }, 'KBISECT_LAB_ROOTS: no directory given'],
  ]);
});

describe('what a worker trusts', () => {
  it('requires signed requests and gives probes no network unless told otherwise', () => {
    expect(workerConfigFromEnv({}, ['test'], { cacheDir: '/c' })).toMatchObject({ requireSigned: true, allowProbeNetwork: false });
    expect(workerConfigFromEnv({ KBISECT_REQUIRE_SIGNED: '0', KBISECT_PROBE_NETWORK: 'allow' }, ['test'], { cacheDir: '/c' })).toMatchObject({ requireSigned: false, allowProbeNetwork: true });
    expect(workerConfigFromEnv({ KBISECT_REQUIRE_SIGNED: '1', KBISECT_PROBE_NETWORK: 'deny' }, ['test'], { cacheDir: '/c' })).toMatchObject({ requireSigned: true, allowProbeNetwork: false });
  });

  stopsAtStart([
    [{ KBISECT_PROBE_NETWORK: 'yes' }, "KBISECT_PROBE_NETWORK: 'yes' is neither 'allow' nor 'deny'"],
    [{ KBISECT_REQUIRE_SIGNED: 'false' }, "KBISECT_REQUIRE_SIGNED: 'false' is neither '1' nor '0'"],
  ]);
});

describe('the artifact store settings of a worker', () => {
  it('renews running bisections\' pins hourly unless told otherwise', () => {
    expect(workerConfigFromEnv({}, ['orchestrator'], { cacheDir: '/c' }).pinRenewMinutes).toBe(60);
    expect(workerConfigFromEnv({ KBISECT_STORE_PIN_RENEW_MINUTES: '15' }, ['orchestrator'], { cacheDir: '/c' }).pinRenewMinutes).toBe(15);
  });

  it.each([
    [{ KBISECT_STORE_PIN_RENEW_MINUTES: '0' }, "KBISECT_STORE_PIN_RENEW_MINUTES: '0' is not a positive number of minutes"],
    [{ KBISECT_STORE_PIN_RENEW_MINUTES: 'hourly' }, "KBISECT_STORE_PIN_RENEW_MINUTES: 'hourly' is not a number"],
    [{ KBISECT_STORE_URL: 'http://store:8081' }, 'KBISECT_STORE_TOKEN_FILE: required with KBISECT_STORE_URL'],
  ])('stops the worker at start on %o, naming the variable', (env, message) => {
    expect(() => workerConfigFromEnv(env, ['orchestrator'], { cacheDir: '/c' })).toThrow(WorkerConfigError);
    expect(() => workerConfigFromEnv(env, ['orchestrator'], { cacheDir: '/c' })).toThrow(message);
  });
});
