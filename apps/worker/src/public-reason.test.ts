import { describe, expect, it } from 'vitest';
import type { LogEvent } from '@kbisect/service';
import { publicReason } from './public-reason.js';

const created = (repo: string, tree?: string): Extract<LogEvent, { type: 'created' }> => ({
  type: 'created', at: '2026-11-30T00:00:00Z', by: 'alice', request: { repo, good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: 'true' } }, ...(tree ? { tree } : {}),
});

describe('publicReason', () => {
  it.each([
    ['a tree path becomes its name', "repo: '/srv/linux' is not a git repository", created('/srv/linux', 'linux'), "repo: 'linux' is not a git repository"],
    ['the cache dir becomes <cache>', 'git worktree add failed: /var/cache/kbisect/mirrors/ab.git is locked', created('/srv/linux', 'linux'), 'git worktree add failed: <cache>/mirrors/ab.git is locked'],
    ['credentials of an old record are redacted', "git clone failed: fatal: unable to access 'https://u:pw@git.example.org/x.git/'", created('https://u:pw@git.example.org/x.git'), "git clone failed: fatal: unable to access 'https://u:***@git.example.org/x.git/'"],
    ['an open URL stays as given', 'git clone failed: could not resolve host git.example.org', created('https://git.example.org/x.git'), 'git clone failed: could not resolve host git.example.org'],
  ])('%s', (_what, message, event, expected) => {
    expect(publicReason(message, event, '/var/cache/kbisect/')).toBe(expected);
  });
});
