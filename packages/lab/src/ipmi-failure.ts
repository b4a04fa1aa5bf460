import type { InfraFailureKind } from './lab-errors.js';

/**
 * What went wrong with an ipmitool call, read from its verbose stderr. Pure.
 * ipmitool prints the same final line ("Unable to establish IPMI v2 / RMCP+
 * session") for a wrong password and a dead BMC; `-v` adds the line that tells
 * them apart.
 */
export function classifyIpmiFailure(stderr: string, timedOut: boolean): InfraFailureKind {
  if (/RAKP 2 HMAC is invalid|unauthorized name|invalid (?:user ?name|password)|Authentication type .* not supported|insufficient privilege/i.test(stderr)) return 'bmc-auth-refused';
  if (timedOut || /Get Auth Capabilities error|Get Channel Authentication Capabilities|No response|Unable to establish|connection refused|Address lookup|timeout/i.test(stderr)) return 'bmc-unreachable';
  return 'bmc-command-refused';
}

/** The useful lines of ipmitool's stderr (without its registry chatter), for error messages. */
export function ipmiErrorSummary(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.replace(/^>\s*/, '').trim()).filter((l) => l !== '' && !/^Loading IANA PEN Registry/.test(l));
  return lines.slice(-3).join('; ') || 'no error output';
}
