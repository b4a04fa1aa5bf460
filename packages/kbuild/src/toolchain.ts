/** A compiler choice for a kernel version, as syzbot keeps a table of them. */
export interface Toolchain {
  readonly cc: string;
  /** Extra words for CC (kept in the CC string so the kernel records them). */
  readonly flags: readonly string[];
}

export interface ToolchainRule {
  /** Applies to kernels older than this version ("major.minor"). */
  readonly below: string;
  readonly toolchain: Toolchain;
}

/**
 * Debian 12's gcc makes position-independent code by default, which kernels
 * before 4.11 reject ("code model kernel does not support PIC mode"); gcc-11
 * with -fno-pie builds them. Newer kernels take gcc-12 as is.
 */
export const DEFAULT_TOOLCHAINS: readonly ToolchainRule[] = [
  { below: '4.11', toolchain: { cc: 'gcc-11', flags: ['-fno-pie', '-no-pie'] } },
  { below: '5.0', toolchain: { cc: 'gcc-11', flags: [] } },
];
export const DEFAULT_TOOLCHAIN: Toolchain = { cc: 'gcc-12', flags: [] };

/** "6.1" from a top-level Makefile's VERSION/PATCHLEVEL. */
export function kernelVersion(makefile: string): string | undefined {
  const v = /^VERSION\s*=\s*(\d+)/m.exec(makefile)?.[1];
  const p = /^PATCHLEVEL\s*=\s*(\d+)/m.exec(makefile)?.[1];
  return v !== undefined && p !== undefined ? `${v}.${p}` : undefined;
}

export function pickToolchain(version: string | undefined, rules: readonly ToolchainRule[] = DEFAULT_TOOLCHAINS, fallback: Toolchain = DEFAULT_TOOLCHAIN): Toolchain {
  if (version === undefined) return fallback;
  const [maj, min] = version.split('.').map(Number) as [number, number];
  for (const r of rules) {
    const [bm, bn] = r.below.split('.').map(Number) as [number, number];
    if (maj < bm || (maj === bm && min < bn)) return r.toolchain;
  }
  return fallback;
}

/** The CC string make gets. */
export function ccString(t: Toolchain, ccache: boolean): string {
  return [...(ccache ? ['ccache'] : []), t.cc, ...t.flags].join(' ');
}
