import { terminalSafe, terminalSafeDeep } from './terminal-safe.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateDirFrom } from './state-dir.js';

export class ApiClientError extends Error {
  readonly code = 'KBISECT_ERR_API';
  constructor(message: string) {
    super(message);
    this.name = 'ApiClientError';
  }
}

export interface ApiClient {
  readonly baseUrl: string;
  request(method: string, path: string, body?: unknown, accept?: string): Promise<{ status: number; text: string }>;
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
}

/** KBISECT_URL and KBISECT_TOKEN, falling back to the token a local `serve` created. */
export async function apiClientFromEnv(env: NodeJS.ProcessEnv): Promise<ApiClient> {
  const baseUrl = (env.KBISECT_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  let token = env.KBISECT_TOKEN;
  if (!token) {
    try {
      token = (await readFile(join(stateDirFrom(undefined, env), 'admin-token'), 'utf8')).trim();
    } catch {
      token = undefined;
    }
  }
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const request = async (method: string, path: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; text: string }> => {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...auth, accept, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiClientError(`cannot reach the kbisect API at ${baseUrl} (is 'kbisect serve' running? set KBISECT_URL)`);
    }
    // Everything remote is made terminal-safe here, once, for every command that prints it.
    const text = terminalSafe(await res.text());
    if (res.status >= 400) {
      let message = text;
      try {
        const parsed = terminalSafeDeep(JSON.parse(text) as { error?: { message?: string } });
        message = parsed.error?.message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new ApiClientError(`${method} ${path}: ${res.status} ${message}`);
    }
    return { status: res.status, text };
  };
  return {
    baseUrl,
    request,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      // JSON escapes (\u001b) survive the text pass and become control characters when parsed.
      return terminalSafeDeep(JSON.parse((await request(method, path, body)).text) as T);
    },
    async stream(path, headers, signal) {
      const res = await fetch(`${baseUrl}${path}`, { headers: { ...auth, accept: 'text/event-stream', ...headers }, signal });
      if (res.status >= 400) throw new ApiClientError(`GET ${path}: ${res.status} ${terminalSafe(await res.text())}`);
      return res;
    },
  };
}
