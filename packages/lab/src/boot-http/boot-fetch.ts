/** The files a machine fetches over HTTP for one boot, by the name in its URL. */
export const BOOT_FILE_NAMES = ['vmlinuz', 'initrd.img'] as const;
export type BootFileName = (typeof BOOT_FILE_NAMES)[number];

/**
 * One request to the boot file server, as the step's evidence shows it.
 * `machineId` is absent for a token the server never issued.
 */
export interface BootFetch {
  readonly at: string;
  readonly machineId?: string;
  readonly jobId?: string;
  readonly method: string;
  /** The file asked for, when the path named one (never the token). */
  readonly file?: string;
  readonly status: number;
  /** Body bytes sent (0 for HEAD and refusals). */
  readonly bytes: number;
  readonly ms: number;
  /** Whether the whole body went out; false when the machine hung up early. */
  readonly complete: boolean;
  /** Why a request was refused: `unknown token`, `expired token`, `revoked token`, `no such file`, `bad path`, `method`. */
  readonly refused?: string;
  readonly remote?: string;
}

/** One line per request, for logs and the evidence text. */
export function formatBootFetch(f: BootFetch): string {
  const who = f.machineId ?? 'unknown machine';
  const what = f.file ?? '-';
  if (f.refused !== undefined) return `${f.at} ${who} ${f.method} ${what}: ${f.status} refused (${f.refused})${f.remote ? ` from ${f.remote}` : ''}`;
  return `${f.at} ${who} ${f.method} ${what}: ${f.status}, ${f.bytes} bytes in ${f.ms} ms${f.complete ? '' : ' (connection closed early)'}`;
}

/**
 * The step's metrics for its HTTP boot: how long the kernel and initramfs
 * took to arrive (the last complete GET of each) and the kernel's size.
 */
export function bootFetchMetrics(fetches: readonly BootFetch[]): Record<string, number> {
  const last = (file: BootFileName): BootFetch | undefined => fetches.filter((f) => f.file === file && f.method === 'GET' && f.complete).at(-1);
  const kernel = last('vmlinuz');
  const initrd = last('initrd.img');
  return {
    ...(kernel ? { kernelFetchMs: kernel.ms, kernelBytes: kernel.bytes } : {}),
    ...(initrd ? { initrdFetchMs: initrd.ms } : {}),
  };
}
