export { seededRandom, randomInt, type Random } from './seeded-random.js';
export { generateHistory, graphOf, descendantsOf, fakeSha, type GeneratedHistory, type HistoryShape } from './random-history.js';
export { simulate, type SimulationOutcome, type RunContext } from './simulate.js';
export { simulateParallel, type ParallelSimulation, type ParallelSimulationOptions } from './simulate-parallel.js';
export { linearHistory, deterministicOracle } from './deterministic-oracle.js';
