/**
 * Credentials in repository URLs (`https://user:pw@host/…`, `https://token@host/…`).
 * They are refused wherever a URL comes in (a tree's registration, a submission)
 * and redacted wherever one goes out, since older records may still hold them.
 * An ssh or scp-like login name alone (`ssh://git@host/…`, `git@host:…`) is not
 * a secret: ssh authenticates with keys.
 */
const USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*):\/\/([^\s/?#@'"]*)@/g;

function isSecret(scheme: string, userinfo: string): boolean {
  return userinfo.includes(':') || !/^(ssh|git\+ssh|ssh\+git)$/i.test(scheme);
}

/** Whether a URL carries a password or token (a reason to refuse it). */
export function hasUrlCredentials(source: string): boolean {
  for (const m of source.matchAll(USERINFO)) {
    if (isSecret(m[1]!, m[2]!)) return true;
  }
  return false;
}

/** `text` with the secret part of every URL's user info replaced by `***` (login names kept where they are not secrets). */
export function redactUrlCredentials(text: string): string {
  return text.replace(USERINFO, (whole, scheme: string, userinfo: string) => {
    if (!isSecret(scheme, userinfo)) return whole;
    const colon = userinfo.indexOf(':');
    return `${scheme}://${colon > 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}
