export * from './commit-graph.js';
