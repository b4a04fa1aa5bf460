/** One load of a closed-loop bench: what each client asks for, round-robin over `urls`. */
export interface LoadSpec {
  readonly urls: readonly string[];
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly seconds: number;
  readonly concurrency: number;
}

/** The request the i-th call of a load makes. */
export function callOf(spec: LoadSpec): (i: number) => Promise<Response> {
  const init: RequestInit = { method: spec.method ?? 'GET', ...(spec.headers ? { headers: spec.headers } : {}), ...(spec.body !== undefined ? { body: spec.body } : {}) };
  return (i) => fetch(spec.urls[i % spec.urls.length]!, init);
}
