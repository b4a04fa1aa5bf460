import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCompatArgs, makeVersionOf, POUND_MAKE_ARGS } from './make-compat.js';

// The two make-cmd definitions as Kbuild.include had them before and after the 2020 fix.
const OLD = "make-cmd = $(call escsq,$(subst \\#,\\\\\\#,$(subst $$,$$$$,$(cmd_$(1)))))\n";
const NEW = "pound := \\#\nmake-cmd = $(call escsq,$(subst $(pound),$$(pound),$(subst $$,$$$$,$(cmd_$(1)))))\n";

describe('make compatibility for old Kbuild', () => {
  it('reads GNU make versions', () => {
    expect(makeVersionOf('GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu\n')).toEqual([4, 3]);
    expect(makeVersionOf('GNU Make 3.82')).toEqual([3, 82]);
    expect(makeVersionOf('bmake 20200710')).toBeUndefined();
  });

  it.each([
    ['old Kbuild, make 4.3', OLD, [4, 3], POUND_MAKE_ARGS],
    ['old Kbuild, make 4.4', OLD, [4, 4], POUND_MAKE_ARGS],
    ['old Kbuild, make 4.2 (escapes still work)', OLD, [4, 2], []],
    ['fixed Kbuild, make 4.3', NEW, [4, 3], []],
    ['no Kbuild.include', null, [4, 3], []],
    ['unknown make', OLD, undefined, []],
  ] as const)('%s', (_label, kbuild, version, want) => {
    expect(makeCompatArgs(kbuild, version)).toEqual(want);
  });
});

// The real make here, on a makefile with the old definition: without the
// arguments the recorded command is cut at '#'; with them it reads back whole.
describe('old Kbuild .cmd records under the make on this machine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-make-compat-'));
    await writeFile(join(dir, 'Makefile'), [
      "squote := '",
      "escsq = $(subst $(squote),'\\$(squote)',$1)",
      'cmd_cc = gcc -D"KBUILD_STR(s)=\\#s" -O2',
      OLD.trim(),
      'record:',
      "\tprintf '%s\\n' 'cmd_obj := $(call make-cmd,cc)' > obj.cmd",
      '-include obj.cmd',
      'same:',
      "\t@test '$(cmd_obj)' = '$(cmd_cc)' && echo same || echo changed",
      '',
    ].join('\n'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const recordThenCompare = async (args: readonly string[]): Promise<string> => {
    await execa('make', ['-s', '-C', dir, ...args, 'record']);
    return (await execa('make', ['-s', '-C', dir, ...args, 'same'])).stdout.trim();
  };

  it('needs the arguments with this make, and they keep the record whole', async () => {
    const args = makeCompatArgs(await readFile(join(dir, 'Makefile'), 'utf8'), makeVersionOf((await execa('make', ['--version'])).stdout));
    expect(await recordThenCompare(args)).toBe('same');
    if (args.length > 0) expect(await recordThenCompare([])).toBe('changed');
  });
});
