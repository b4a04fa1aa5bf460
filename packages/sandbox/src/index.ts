export { CappedOutput } from './capped-output.js';
export { SandboxSpecError, SandboxUnavailableError } from './sandbox-errors.js';
export { ALLOWED_NAMES, BASE_ENV, READ_ONLY_GIT_ENV, sandboxEnv } from './sandbox-env.js';
export { DEFAULT_LIMITS, DEFAULT_OUTPUT, type OutputBudget, type Sandbox, type SandboxIsolation, type SandboxLimits, type SandboxNetwork, type SandboxRun, type SandboxSpec } from './sandbox-spec.js';
export { bwrapCommand, ETC_FILES, ETC_NETWORK_FILES, type BwrapPlan, type SandboxIdentity, type SystemMount } from './bwrap-command.js';
export { bwrapSandbox, lookUpIdentity, systemMounts, type BwrapSandboxOptions } from './bwrap-sandbox.js';
export { unavailableSandbox, unconfinedSandbox } from './unconfined-sandbox.js';
export { openSandbox, SANDBOX_OFF_NOTICE, type OpenedSandbox, type SandboxSetting } from './open-sandbox.js';
export { OwnershipLedger, type LendFigures } from './ownership-ledger.js';
