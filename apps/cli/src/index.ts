export { main } from './main.js';
export { runBisection, type RunGit, type RunDeps, type RunRequest, type RunReporter } from './run-bisection.js';
