import { validateGraph, type CommitGraph } from '@kbisect/bisect';

/** The graph stored with a bisection (`<ns>:b:<id>:graph`), parsed and checked; a stored graph that is not one is a bug, named with its id. */
export function parseStoredGraph(id: string, raw: string): CommitGraph {
  const graph = JSON.parse(raw) as CommitGraph;
  const problems = validateGraph(graph);
  if (problems.length > 0) throw new Error(`stored graph of ${id} is invalid: ${problems[0]}`);
  return graph;
}

/**
 * The stored graph, parsed the first time one of its fields is read. A
 * process that only shows a big bisection — the API, which takes a big
 * range's engine steps from the orchestrator's fold — never parses it (at
 * the range cap 0.5–3.5 s of its event loop); the engine parses it on its
 * first step. Until then the JSON text is kept: smaller than the graph.
 */
export function lazyStoredGraph(id: string, raw: string): CommitGraph {
  const lazy = {};
  // Once parsed, the fields become plain values: the engine's loops read them without a getter.
  const parse = (): CommitGraph => {
    const graph = parseStoredGraph(id, raw);
    Object.defineProperties(lazy, {
      commits: { value: graph.commits, enumerable: true },
      parents: { value: graph.parents, enumerable: true },
      subjects: { value: graph.subjects, enumerable: true },
    });
    return graph;
  };
  // `subjects` is optional in the type: a field answering undefined reads as absent to every reader (none asks `in`).
  Object.defineProperties(lazy, {
    commits: { get: () => parse().commits, enumerable: true, configurable: true },
    parents: { get: () => parse().parents, enumerable: true, configurable: true },
    subjects: { get: () => parse().subjects, enumerable: true, configurable: true },
  });
  return lazy as CommitGraph;
}
