/**
 * `none`: a network namespace with only its own loopback. `host`: the
 * worker's network, for a command probe whose token allows it.
 */
export type SandboxNetwork = 'none' | 'host';

export interface SandboxLimits {
  /** RLIMIT_NPROC of the sandbox uid (shared by every sandbox running as it). @defaultValue 4096 */
  readonly processes: number;
  /** RLIMIT_FSIZE: the largest file a command may write. @defaultValue 4 GiB */
  readonly fileSizeBytes: number;
  /** RLIMIT_CPU of each process (seconds); the wall-clock bound is timeoutMs. @defaultValue 7200 */
  readonly cpuSeconds: number;
  /** Size of the private /tmp (a tmpfs, so memory). @defaultValue 1 GiB */
  readonly tmpBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { processes: 4096, fileSizeBytes: 4 * 1024 ** 3, cpuSeconds: 7200, tmpBytes: 1024 ** 3 };

/** How much output is kept: head and tail, the middle is counted and dropped. @defaultValue 1 MiB each */
export interface OutputBudget {
  readonly headBytes: number;
  readonly tailBytes: number;
}

export const DEFAULT_OUTPUT: OutputBudget = { headBytes: 1024 ** 2, tailBytes: 1024 ** 2 };

/** One command to run confined. Every path is absolute and appears inside at the same path. */
export interface SandboxSpec {
  readonly argv: readonly [string, ...string[]];
  readonly cwd: string;
  /** Bound read-write; the sandbox uid is made their owner first. Must exist. */
  readonly writable?: readonly string[];
  /** Bound read-only. Must exist. */
  readonly readOnly?: readonly string[];
  /** Added to the base environment; names must be on the allow-list (sandbox-env.ts). */
  readonly env?: Readonly<Record<string, string>>;
  /** HOME inside. @defaultValue /tmp (the private tmpfs) */
  readonly home?: string;
  /** Wall clock; on expiry the whole PID namespace is killed. */
  readonly timeoutMs: number;
  /** Aborting kills the whole PID namespace, as a timeout does. */
  readonly signal?: AbortSignal;
  /** @defaultValue 'none' */
  readonly network?: SandboxNetwork;
  /** Written to the command's stdin; otherwise stdin is /dev/null. */
  readonly stdin?: string;
  readonly output?: OutputBudget;
  /** Appended to as output arrives (the head), then the tail at the end: the same capped text as `output`. */
  readonly logFile?: string;
  readonly limits?: Partial<SandboxLimits>;
  /** Process-group file kept while it runs (kbuild's stale-build killer reads it). */
  readonly onStart?: (pid: number) => Promise<void> | void;
}

export type SandboxIsolation = 'bwrap' | 'none';

export interface SandboxRun {
  readonly exitCode?: number;
  readonly signal?: string;
  /** Set when kbisect stopped it: the namespace was killed. */
  readonly stopped?: 'timed-out' | 'cancelled';
  /** stdout and stderr interleaved, capped (see OutputBudget). */
  readonly output: string;
  readonly outputBytes: number;
  readonly elidedBytes: number;
  readonly durationMs: number;
  readonly isolation: SandboxIsolation;
}

/** The port: kbuild, the command probe and the maintainer lookup run untrusted code only through this. */
export interface Sandbox {
  /** `bwrap`: confined; `off`: the operator turned it off (KBISECT_SANDBOX=off); `unavailable`: refuses to run. */
  readonly mode: 'bwrap' | 'off' | 'unavailable';
  run(spec: SandboxSpec): Promise<SandboxRun>;
}
