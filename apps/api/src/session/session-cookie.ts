/** The browser session cookie: its name, reading it from a Cookie header, and the Set-Cookie values. */
export const SESSION_COOKIE = 'kbisect_session';

/** The session id in a Cookie header, if any (no other cookie is read). */
export function sessionIdFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) {
      const value = part.slice(at + 1).trim();
      return /^[A-Za-z0-9_-]{20,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** HttpOnly so page scripts never see it, SameSite=Strict so other sites cannot send it, Secure over https. */
export function sessionCookie(sid: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
