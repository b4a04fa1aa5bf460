import { describe, expect, it } from 'vitest';
import { ApiConfigError, apiConfigFromEnv } from './api-config.js';

describe('the open-URL opt-in in the API configuration', () => {
  it('is off unless set, and read once at startup when it is', () => {
    expect(apiConfigFromEnv({})).not.toHaveProperty('openRepos');
    expect(apiConfigFromEnv({ KBISECT_OPEN_REPOS: 'https,git', KBISECT_REPO_HOSTS: 'git.example.org' }).openRepos).toEqual({ schemes: ['https', 'git'], hosts: ['git.example.org'] });
  });

  it('stops the start with a configuration error naming the variable', () => {
    expect(() => apiConfigFromEnv({ KBISECT_OPEN_REPOS: 'https,file', KBISECT_REPO_HOSTS: 'git.example.org' })).toThrow(ApiConfigError);
    expect(() => apiConfigFromEnv({ KBISECT_OPEN_REPOS: 'https' })).toThrow(/KBISECT_REPO_HOSTS/);
  });
});

describe("the workers' command timeout in the API configuration", () => {
  it('defaults to the workers\' 3600 s and follows KBISECT_TEST_TIMEOUT_SEC, which it checks', () => {
    expect(apiConfigFromEnv({}).defaultTestTimeoutSec).toBe(3600);
    expect(apiConfigFromEnv({ KBISECT_TEST_TIMEOUT_SEC: '900' }).defaultTestTimeoutSec).toBe(900);
    expect(() => apiConfigFromEnv({ KBISECT_TEST_TIMEOUT_SEC: 'soon' })).toThrow(/^KBISECT_TEST_TIMEOUT_SEC: 'soon' is not a whole number/);
  });
});
