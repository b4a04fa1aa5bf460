import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/**
 * The init every test machine runs: prints the markers the classifier reads,
 * runs the test named by `kbisect.test=` on the kernel command line (its
 * output must include one `KBISECT-RESULT {json}` line), then powers off.
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# busybox's modprobe lives in /bin; the kernel's on-demand loading looks in /sbin.
[ -w /proc/sys/kernel/modprobe ] && echo /bin/modprobe > /proc/sys/kernel/modprobe
echo KBISECT-INIT-START
test=good
for word in $(cat /proc/cmdline); do
  case "$word" in
    kbisect.test=*) test="\${word#kbisect.test=}" ;;
    kbisect.pci=*) export KBISECT_PCI="\${word#kbisect.pci=}" ;;
  esac
done
# Modules of the kernel under test, when its config builds any.
[ -d "/lib/modules/$(uname -r)" ] && export KBISECT_MODULES="/lib/modules/$(uname -r)"
echo KBISECT-TEST-START "$test"
if [ -x "/tests/$test" ]; then "/tests/$test"; else echo 'KBISECT-RESULT {"verdict":"skip","reason":"no such test"}'; fi
echo KBISECT-TEST-END
poweroff -f
`;

export class InitramfsError extends Error {
  readonly code = 'KBISECT_ERR_INITRAMFS';
  readonly category = 'configuration' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InitramfsError';
  }
}

export interface InitramfsOptions {
  /** @defaultValue '/bin/busybox' (Debian's busybox-static) */
  readonly busybox?: string;
  /** Extra files, e.g. a static reproducer binary: `to` is an absolute path in the image. */
  readonly files?: readonly { readonly from: string; readonly to: string; readonly mode?: number }[];
  /** A tarball of `lib/modules/<version>` (the build's modules_install), unpacked at the root. */
  readonly modulesTar?: string;
}

/**
 * A gzip'd cpio initramfs with static busybox, the init above and the given
 * test scripts (name → shell script) under /tests. Names are plain names.
 */
export async function buildInitramfs(outFile: string, tests: Readonly<Record<string, string>>, opts: InitramfsOptions = {}): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kbisect-initramfs-'));
  const busybox = opts.busybox ?? '/bin/busybox';
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tests', 'tmp']) await mkdir(join(root, d));
    const bb = await execa('cp', [busybox, join(root, 'bin', 'busybox')], { reject: false });
    if (bb.exitCode !== 0) throw new InitramfsError(`static busybox not found at ${busybox} (apt-get install busybox-static)`);
    for (const f of opts.files ?? []) {
      if (!/^\/[A-Za-z0-9_./-]+$/.test(f.to) || f.to.includes('..')) throw new InitramfsError(`initramfs path '${f.to}' is not a plain absolute path`);
      await mkdir(join(root, dirname(f.to)), { recursive: true });
      await copyFile(f.from, join(root, f.to)).catch((err: unknown) => {
        throw new InitramfsError(`cannot add ${f.from} to the initramfs: ${(err as Error).message}`);
      });
      await chmod(join(root, f.to), f.mode ?? 0o755);
    }
    if (opts.modulesTar) await execa('tar', ['-xzf', opts.modulesTar, '-C', root]);
    await writeFile(join(root, 'init'), INIT_SCRIPT);
    await chmod(join(root, 'init'), 0o755);
    for (const [name, script] of Object.entries(tests)) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new InitramfsError(`test name '${name}' is not a plain name`);
      await writeFile(join(root, 'tests', name), script.startsWith('#!') ? script : `#!/bin/sh\n${script}`);
      await chmod(join(root, 'tests', name), 0o755);
    }
    // The directory and output come in as $1 and $2, never spliced into the script.
    await execa('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet | gzip -9 > "$2"', 'sh', root, outFile]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
