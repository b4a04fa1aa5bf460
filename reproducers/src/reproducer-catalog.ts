import { fileURLToPath } from 'node:url';

/**
 * The reproducers a kernel probe may name. Each one becomes /tests/<name> in
 * the initramfs: a shell script the init runs, which prints exactly one
 * `KBISECT-RESULT {json}` line. Arguments are validated here and baked into
 * the script (quoted), so nothing from a request is parsed by a shell
 * unquoted, and the initramfs is cached by its content.
 */
export interface ReproducerDefinition {
  readonly name: string;
  readonly description: string;
  /** A static binary built with make in `dir` (under reproducers/), installed in the image. */
  readonly binary?: { readonly dir: string; readonly file: string; readonly installAs: string };
  /** Why these arguments are not acceptable, or undefined. */
  argsProblem(args: readonly string[]): string | undefined;
  script(args: readonly string[]): string;
}

export const REPRODUCERS_DIR = fileURLToPath(new URL('../', import.meta.url));

export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const boot: ReproducerDefinition = {
  name: 'boot',
  description: 'Boots to init and reports good with what the kernel offers (IOMMU groups, THP): a smoke test and a boot-regression probe.',
  argsProblem: (args) => (args.length > 0 ? "the 'boot' reproducer takes no arguments" : undefined),
  script: () => `#!/bin/sh
groups=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)
thp=0; [ -e /sys/kernel/mm/transparent_hugepage/enabled ] && thp=1
up=$(cut -d' ' -f1 /proc/uptime)
echo "KBISECT-RESULT {\\"verdict\\":\\"good\\",\\"iommu_groups\\":$groups,\\"thp\\":$thp,\\"uptime_s\\":$up}"
`,
};

const OPTION = /^--(?:mode|seconds|iterations|pages|device|control)(?:=[A-Za-z0-9:._,-]{1,64})?$/;

const vfioPinCheck: ReproducerDefinition = {
  name: 'vfio-pin-check',
  description: 'Pins a THP-backed anonymous buffer through VFIO_IOMMU_MAP_DMA, runs the write-protect steps that decide the 2016 vfio/THP regression (mprotect RO->RW + write, fork-then-exit, MADV_DONTFORK), then THP churn, and checks no pinned page frame moved.',
  binary: { dir: 'vfio-pin-check', file: 'vfio-pin-check', installAs: '/bin/vfio-pin-check' },
  argsProblem: (args) => {
    const bad = args.find((a) => !OPTION.test(a));
    return bad === undefined ? undefined : `reproducer argument '${bad.slice(0, 64)}' is not one of --mode=, --seconds=, --iterations=, --pages=, --device=, --control`;
  },
  // The machine's PCI device comes from the kernel command line (kbisect.pci=).
  script: (args) => `#!/bin/sh
exec /bin/vfio-pin-check \${KBISECT_PCI:+--device=$KBISECT_PCI} ${args.map(shQuote).join(' ')}
`,
};

export const REPRODUCERS: ReadonlyMap<string, ReproducerDefinition> = new Map([boot, vfioPinCheck].map((r) => [r.name, r]));

/** Builds (once) the demo history: linux-source-6.1 with an injected vfio pinning regression. Prints its path. */
export const DEMO_FIXTURE_SCRIPT = `${REPRODUCERS_DIR}scripts/make-vfio-demo-fixture.sh`;
