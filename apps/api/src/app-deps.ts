import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SignInLimits } from './session/sign-in-limit.js';
import type { UiAsset } from './web-ui/ui-assets.js';
import type { BisectionStore, MachineStore, OpenRepoPolicy, ProbeTimeoutDefaults, TokenRegistry, TreeStore } from '@kbisect/service';

/** What the API is built from; the composition root (server or tests) supplies it. */
export interface AppDeps {
  readonly store: BisectionStore;
  readonly machines: MachineStore;
  /** Registered kernel trees: what submissions may name. */
  readonly trees: TreeStore;
  /** Unregistered URLs a submission may name; undefined: registered trees only. @defaultValue undefined */
  readonly openRepos?: OpenRepoPolicy;
  readonly redis: Redis;
  /** Every queue, for /metrics; the API itself only enqueues orchestration. */
  readonly queues: { readonly orchestrate: Queue; readonly build: Queue; readonly test: Queue };
  readonly tokens: TokenRegistry;
  readonly allowCommandProbe: boolean;
  readonly bodyLimit: number;
  readonly enqueueOrchestrate: (bisectionId: string) => Promise<void>;
  readonly now: () => Date;
  /** Where mail readers reach the API (KBISECT_PUBLIC_URL). @defaultValue the scheme and Host of the request */
  readonly publicUrl?: string;
  /** A report mail's sender when the request names none (KBISECT_MAIL_FROM). @defaultValue kbisect <kbisect@the public URL's host> */
  readonly mailFrom?: string;
  /** How long an SSE read blocks before a heartbeat. @defaultValue 15000 */
  readonly sseHeartbeatMs?: number;
  /** The built web UI by path under /ui/. @defaultValue loaded from the @kbisect/web package at build time of the app */
  readonly uiAssets?: ReadonlyMap<string, UiAsset>;
  /** Event streams open at once on this process, all tokens together (KBISECT_LIMIT_SSE_TOTAL). @defaultValue 1000 */
  readonly sseTotalStreams?: number;
  /** CLIENT SETNAME of the per-bisection stream readers, so an operator can count them in CLIENT LIST. @defaultValue 'kbisect-sse' */
  readonly sseReaderName?: string;
  /** The key that signs each accepted submission for the workers (KBISECT_REQUEST_KEY_FILE); without it nothing is signed. */
  readonly requestKey?: Buffer;
  /** Sign-in attempts per client address and per token tried, per window. @defaultValue DEFAULT_SIGN_IN_LIMITS (20 and 10 a minute) */
  readonly signInLimits?: SignInLimits;
  /** The timeouts workers give a probe that names none; a token whose limit is lower gets its limit written into the request. @defaultValue 3600 s command (KBISECT_TEST_TIMEOUT_SEC), 900 s reproducer */
  readonly probeTimeoutDefaults?: ProbeTimeoutDefaults;
}
