import { describe, expect, it } from 'vitest';
import { reportCommand } from './commands/report.js';
import { remoteTextCommand } from './commands/remote-text.js';

describe('kbisect report and log', () => {
  it('refuse what is not a bisection id before anything is asked of the API', async () => {
    const out = (): void => undefined;
    // 36 characters of the old check's alphabet that no bisection has.
    await expect(reportCommand(['0'.repeat(36)], { out })).rejects.toThrow(/kbisect report: '0{36}' is not a bisection id/);
    await expect(remoteTextCommand('log', ['../../x'], { out })).rejects.toThrow(/kbisect log: '..\/..\/x' is not a bisection id/);
  });
});
