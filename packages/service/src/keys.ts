/** Redis key layout, under a namespace so tests (and several deployments) never collide. */
export interface Keys {
  readonly index: string;
  log(id: string): string;
  once(id: string): string;
  graph(id: string): string;
  meta(id: string): string;
  evidence(id: string, name: string): string;
  cancel(id: string): string;
  readonly metrics: string;
}

export function keysFor(namespace: string): Keys {
  const b = (id: string): string => `${namespace}:b:${id}`;
  return {
    index: `${namespace}:bisections`,
    log: (id) => `${b(id)}:log`,
    once: (id) => `${b(id)}:once`,
    graph: (id) => `${b(id)}:graph`,
    meta: (id) => `${b(id)}:meta`,
    evidence: (id, name) => `${b(id)}:evidence:${name}`,
    cancel: (id) => `${b(id)}:cancel`,
    metrics: `${namespace}:metrics`,
  };
}
