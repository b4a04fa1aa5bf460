import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabConfigError } from './lab-errors.js';
import type { MachineSpec } from './machine.js';
import { assertMachinePaths, isUnder } from './machine-paths.js';

let dir: string;
let root: string;
let outside: string;
const spec = (over: { password?: string; console?: string; tftp?: string }): MachineSpec => ({
  id: 'vm1', pool: 'virtual', arch: 'x86_64', mac: '52:54:00:00:00:01', cmdline: 'console=ttyS0',
  bmc: { host: '127.0.0.1', port: 623, user: 'admin', password: { file: over.password ?? join(root, 'bmc-password') } },
  console: over.console !== undefined ? { type: 'file', path: over.console } : { type: 'sol' },
  pxe: { tftpRoot: over.tftp ?? join(root, 'tftp'), loader: 'ipxe' },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-lab-roots-'));
  root = join(dir, 'lab');
  outside = join(dir, 'elsewhere');
  await mkdir(join(root, 'tftp'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(root, 'bmc-password'), 'secret\n', { mode: 0o600 });
  await writeFile(join(outside, 'shadow'), 'root:x\n');
  await symlink(join(outside, 'shadow'), join(root, 'looks-inside'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('machine files under the lab roots', () => {
  it('accepts a machine whose files all lie under a root, a console file not yet created included', async () => {
    await expect(assertMachinePaths(spec({ console: join(root, 'console.log') }), [root])).resolves.toBeUndefined();
  });

  // Functions: the temp dirs exist only once beforeAll ran.
  const refused: [string, () => Parameters<typeof spec>[0], string][] = [
    ['a password file elsewhere', () => ({ password: join(outside, 'shadow') }), 'BMC password file'],
    ['a password file that is a symlink out of the root', () => ({ password: join(root, 'looks-inside') }), 'BMC password file'],
    ['a console file elsewhere', () => ({ console: join(outside, 'console.log') }), 'console file'],
    ['a TFTP root elsewhere', () => ({ tftp: outside }), 'TFTP root'],
    ['a root that is only a name prefix', () => ({ tftp: `${root}-evil` }), 'TFTP root'],
  ];
  for (const [name, over, what] of refused) {
    it(`refuses ${name}, naming the machine and the kind of file but not the path`, async () => {
      const err = await assertMachinePaths(spec(over()), [root]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabConfigError);
      expect((err as Error).message).toContain(`machine vm1: its ${what} is outside the lab roots`);
      expect((err as Error).message).not.toContain(dir);
    });
  }

  it('compares whole path components', () => {
    expect(isUnder('/srv/tftp/kbisect', '/srv/tftp')).toBe(true);
    expect(isUnder('/srv/tftp', '/srv/tftp')).toBe(true);
    expect(isUnder('/srv/tftp-other', '/srv/tftp')).toBe(false);
    expect(isUnder('/etc/shadow', '/srv/tftp')).toBe(false);
  });
});
