import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grantProblem, sealGrant, type SealedFields } from './request-seal.js';

const key = randomBytes(32);
const fields: SealedFields = {
  id: '00000000-0000-4000-8000-000000000001', by: 'ci', at: '2026-11-30T00:00:00.000Z',
  request: { repo: 'linux', good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: 'curl -fsS http://ci.example/ok', network: true } },
};
const base = { role: 'submit' as const, commandProbe: true, maxRangeCommits: 1000 };

describe('the signed grant', () => {
  it('verifies a grant with the network permission, and a changed permission no longer does', () => {
    const grant = sealGrant(key, fields, { ...base, network: true });
    expect(grantProblem(key, fields, grant)).toBeUndefined();
    expect(grantProblem(key, fields, { ...grant, network: false })).toMatch(/does not match/);
    // Dropping the field from a new grant is a change too: it was signed with it.
    const { network: _dropped, ...stripped } = grant;
    expect(grantProblem(key, fields, stripped)).toMatch(/does not match/);
  });

  it('still verifies a grant signed before the network permission existed (no network field), as it was signed then', () => {
    // The MAC exactly as it was computed before: the same array without `network`.
    const request = { ...fields.request, probe: { type: 'command' as const, command: 'make check' } };
    const old = { ...fields, request };
    const sig = createHmac('sha256', key).update(JSON.stringify([old.id, old.by, old.at, base.role, base.commandProbe, base.maxRangeCommits, old.request]), 'utf8').digest('hex');
    expect(grantProblem(key, old, { ...base, sig })).toBeUndefined();
    // Adding a network permission to such a grant in Redis breaks it.
    expect(grantProblem(key, old, { ...base, network: true, sig })).toMatch(/does not match/);
  });

  it('ties the request: asking for the network after signing breaks the signature', () => {
    const request = { ...fields.request, probe: { type: 'command' as const, command: 'make check' } };
    const grant = sealGrant(key, { ...fields, request }, { ...base, network: false });
    expect(grantProblem(key, { ...fields, request: { ...request, probe: { ...request.probe, network: true } } }, grant)).toMatch(/does not match/);
  });

  it('signs the timeout cap: raising, dropping or adding it in Redis breaks the signature; grants without it still verify', () => {
    const grant = sealGrant(key, fields, { ...base, network: true, maxTimeoutSec: 600 });
    expect(grantProblem(key, fields, grant)).toBeUndefined();
    expect(grantProblem(key, fields, { ...grant, maxTimeoutSec: 86_400 })).toMatch(/does not match/);
    const { maxTimeoutSec: _dropped, ...stripped } = grant;
    expect(grantProblem(key, fields, stripped)).toMatch(/does not match/);
    const without = sealGrant(key, fields, { ...base, network: true });
    expect(grantProblem(key, fields, without)).toBeUndefined();
    expect(grantProblem(key, fields, { ...without, maxTimeoutSec: 600 })).toMatch(/does not match/);
  });
});
