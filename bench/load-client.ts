/**
 * bench/load-client — the clients of a load in a process of their own, so the
 * server under test keeps its event loop (as remote clients leave it): runs
 * the LoadSpec given as JSON in argv[2] and prints the LoadResult as JSON.
 */
import { runLoad } from './latency.js';
import { callOf, type LoadSpec } from './load-spec.js';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
console.log(JSON.stringify(await runLoad(callOf(spec), spec.seconds, spec.concurrency)));
