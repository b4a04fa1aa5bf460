/** Calls to the API with the session cookie; state-changing ones carry the session's CSRF token. */
let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** An error answer of the API: its stable code, its message, and the request field at fault. */
export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiFailure';
  }
}

async function failureOf(res: Response): Promise<ApiFailure> {
  try {
    const body: unknown = await res.json();
    const error = typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : undefined;
    if (typeof error === 'object' && error !== null) {
      const e = error as { code?: unknown; message?: unknown; field?: unknown };
      return new ApiFailure(res.status, String(e.code ?? 'UNKNOWN'), String(e.message ?? res.statusText), typeof e.field === 'string' ? e.field : undefined);
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return new ApiFailure(res.status, 'UNKNOWN', `${res.status} ${res.statusText}`);
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw await failureOf(res);
  return res;
}

/** JSON from the API; the caller names the shape it expects (the API's schemas guarantee it). */
export async function getJson<T>(path: string): Promise<T> {
  return (await (await call('GET', path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await call('GET', path)).text();
}

export async function send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
  const res = await call(method, path, body);
  return res.status === 204 ? undefined : ((await res.json()) as T);
}
