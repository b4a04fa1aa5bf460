import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { nextPageCommand } from './list-lines.js';

describe('nextPageCommand', () => {
  it('keeps the filters as --flag=value, quoted so a shell gives back each value as it was', async () => {
    const filters = { status: 'found', grep: "-rc1 it's", by: 'mia', limit: '5' };
    const command = nextPageCommand(filters, '1764500000000:0d24dde2-d0c0-4912-bf19-2f517df88214');
    expect(command).toBe("kbisect list --status=found --by=mia --grep='-rc1 it'\\''s' --limit=5 --cursor=1764500000000:0d24dde2-d0c0-4912-bf19-2f517df88214");
    // What sh makes of it: the words a user's shell would pass to kbisect.
    const { stdout } = await execa('sh', ['-c', `printf '%s\\n' ${command.replace(/^kbisect list /, '')}`]);
    expect(stdout.split('\n')).toEqual(['--status=found', '--by=mia', "--grep=-rc1 it's", '--limit=5', '--cursor=1764500000000:0d24dde2-d0c0-4912-bf19-2f517df88214']);
  });

  it('names only the cursor when no filter was given', () => {
    expect(nextPageCommand({}, '1:abc')).toBe('kbisect list --cursor=1:abc');
  });
});
