import { describe, expect, it } from 'vitest';
import { hasUrlCredentials, redactUrlCredentials } from './url-credentials.js';

describe('credentials in repository URLs', () => {
  it.each([
    ['https://alice:s3cret@git.example.org/linux.git', true, 'https://alice:***@git.example.org/linux.git'],
    ['https://ghp_token@git.example.org/linux.git', true, 'https://***@git.example.org/linux.git'],
    ['git://anon:pw@git.example.org/linux.git', true, 'git://anon:***@git.example.org/linux.git'],
    ['ssh://git:pw@git.example.org/linux.git', true, 'ssh://git:***@git.example.org/linux.git'],
    ['ssh://git@git.example.org/linux.git', false, 'ssh://git@git.example.org/linux.git'],
    ['git@git.example.org:linux.git', false, 'git@git.example.org:linux.git'],
    ['https://git.example.org/linux.git', false, 'https://git.example.org/linux.git'],
    ['/srv/linux', false, '/srv/linux'],
  ])('%s: credentials %s, shown as %s', (url, has, shown) => {
    expect(hasUrlCredentials(url)).toBe(has);
    expect(redactUrlCredentials(url)).toBe(shown);
  });

  it('redacts every URL inside a longer text, such as a git error', () => {
    const text = "git clone failed: fatal: unable to access 'https://bob:hunter2@10.0.0.1:8443/x.git/': Connection refused";
    expect(redactUrlCredentials(text)).toBe("git clone failed: fatal: unable to access 'https://bob:***@10.0.0.1:8443/x.git/': Connection refused");
    expect(redactUrlCredentials(text)).not.toContain('hunter2');
  });
});
