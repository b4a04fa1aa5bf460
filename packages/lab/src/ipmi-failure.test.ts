import { describe, expect, it } from 'vitest';
import { classifyIpmiFailure, ipmiErrorSummary } from './ipmi-failure.js';

// stderr of `ipmitool -v -I lanplus …` as ipmitool 1.8.19 prints it against ipmi_sim.
const cases: [string, string, boolean, string][] = [
  ['wrong password', 'Loading IANA PEN Registry...\n> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n', false, 'bmc-auth-refused'],
  ['unknown user', 'Loading IANA PEN Registry...\nRAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session\n', false, 'bmc-auth-refused'],
  ['nothing listening', 'Loading IANA PEN Registry...\nGet Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session\n', false, 'bmc-unreachable'],
  ['our timeout fired', '', true, 'bmc-unreachable'],
  ['BMC says no', 'Loading IANA PEN Registry...\nSet Chassis Power Control to Cycle failed: Command not supported in present state\n', false, 'bmc-command-refused'],
];

describe('classifying ipmitool failures', () => {
  it.each(cases)('%s', (_name, stderr, timedOut, kind) => {
    expect(classifyIpmiFailure(stderr, timedOut)).toBe(kind);
  });
  it('summarises without the registry chatter', () => {
    expect(ipmiErrorSummary(cases[0]![1])).toBe('RAKP 2 HMAC is invalid; Error: Unable to establish IPMI v2 / RMCP+ session');
  });
});
