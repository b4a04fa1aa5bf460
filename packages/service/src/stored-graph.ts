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
  let text: string | undefined = raw;
  let parsed: CommitGraph | undefined;
  const graph = (): CommitGraph => {
    if (!parsed) {
      parsed = parseStoredGraph(id, text ?? '');
      text = undefined;
    }
    return parsed;
  };
  const lazy = {
    get commits(): CommitGraph['commits'] {
      return graph().commits;
    },
    get parents(): CommitGraph['parents'] {
      return graph().parents;
    },
  };
  // Optional in the type: a getter answering undefined reads as absent to every reader (none asks `in`).
  Object.defineProperty(lazy, 'subjects', { get: () => graph().subjects, enumerable: true });
  return lazy;
}
