export { classifyConsole, judge, CRASH_SIGNATURES, DEFAULT_VERDICT_POLICY, type BootOutcome, type BootPhase, type VerdictPolicy, type Judgement } from './console-classifier.js';
export { buildInitramfs, INIT_SCRIPT, InitramfsError } from './initramfs.js';
export { bootDirect, type DirectBoot } from './qemu-direct-boot.js';
