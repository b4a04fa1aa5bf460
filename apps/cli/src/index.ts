export { main } from './main.js';
export { runBisection, type RunGit, type RunDeps, type RunRequest, type RunReporter, type RunOptions } from './run-bisection.js';
export { commandProbe, type CommandProbeOptions, type Probe } from './command-probe.js';
export { kernelDemo, DEMO_PROBE } from './commands/kernel-demo.js';
export { type ApiClient } from './api-client.js';
