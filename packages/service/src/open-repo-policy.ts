import { Type, type Static } from '@sinclair/typebox';
import { splitEnvList } from './env-list.js';

export const OPEN_REPO_SCHEMES = ['https', 'git', 'ssh'] as const;

/**
 * An operator's opt-in to submissions of unregistered repository URLs
 * (KBISECT_OPEN_REPOS=https,git,ssh with KBISECT_REPO_HOSTS=host1,host2):
 * only these schemes, only to these hosts. Never local paths or file://.
 */
export const OpenRepoPolicySchema = Type.Object({
  schemes: Type.Array(Type.Union(OPEN_REPO_SCHEMES.map((s) => Type.Literal(s))), { minItems: 1 }),
  hosts: Type.Array(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' }), { minItems: 1 }),
});
export type OpenRepoPolicy = Static<typeof OpenRepoPolicySchema>;

export class OpenRepoPolicyError extends Error {
  readonly code = 'KBISECT_ERR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'OpenRepoPolicyError';
  }
}

/** The policy from the environment, checked once at startup; undefined when the operator did not opt in. */
export function openRepoPolicyFromEnv(env: NodeJS.ProcessEnv): OpenRepoPolicy | undefined {
  const schemes = splitEnvList(env.KBISECT_OPEN_REPOS).map((s) => s.toLowerCase());
  const hosts = splitEnvList(env.KBISECT_REPO_HOSTS).map((h) => h.toLowerCase());
  if (schemes.length === 0) {
    if (hosts.length > 0) throw new OpenRepoPolicyError('KBISECT_REPO_HOSTS is set but KBISECT_OPEN_REPOS is not: name the schemes open URLs may use (https, git, ssh)');
    return undefined;
  }
  const bad = schemes.find((s) => !(OPEN_REPO_SCHEMES as readonly string[]).includes(s));
  if (bad !== undefined) throw new OpenRepoPolicyError(`KBISECT_OPEN_REPOS: '${bad}' is not one of ${OPEN_REPO_SCHEMES.join(', ')} (local paths and file:// are never open)`);
  if (hosts.length === 0) throw new OpenRepoPolicyError('KBISECT_OPEN_REPOS needs KBISECT_REPO_HOSTS: the hosts open URLs may name, comma-separated');
  const badHost = hosts.find((h) => !/^[a-z0-9.-]{1,253}$/.test(h));
  if (badHost !== undefined) throw new OpenRepoPolicyError(`KBISECT_REPO_HOSTS: '${badHost.slice(0, 80)}' is not a host name or address`);
  return { schemes: schemes as OpenRepoPolicy['schemes'], hosts };
}
