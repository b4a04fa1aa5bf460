import type { SessionView } from '@kbisect/service';
import { ApiFailure, getJson, send, setCsrfToken } from './api-client.js';
import { ROLES } from './service-values.js';

let current: SessionView | undefined;

export const session = (): SessionView | undefined => current;

/** Whether the signed-in user holds at least `role`; the UI hides controls the API would refuse anyway. */
export function may(role: SessionView['role']): boolean {
  return current !== undefined && ROLES.indexOf(current.role) >= ROLES.indexOf(role);
}

export async function loadSession(): Promise<SessionView | undefined> {
  try {
    current = await getJson<SessionView>('/api/v1/session');
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 401) throw err;
    current = undefined;
  }
  setCsrfToken(current?.csrf);
  return current;
}

export async function signIn(token: string): Promise<SessionView> {
  const view = await send<SessionView>('POST', '/api/v1/session', { token });
  current = view;
  setCsrfToken(view?.csrf);
  return view!;
}

export async function signOut(): Promise<void> {
  await send('DELETE', '/api/v1/session');
  current = undefined;
  setCsrfToken(undefined);
}
