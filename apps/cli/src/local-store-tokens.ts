import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashToken, newToken } from '@kbisect/service';

/**
 * For `serve`'s embedded artifact store: a credentials file with one `build`
 * credential (which also reads), created once under the state dir. As with
 * the admin token, the file keeps only the hash; the token is written beside
 * it for this user alone, and the in-process workers read it from there.
 */
export async function ensureLocalStoreToken(stateDir: string): Promise<{ credentialsFile: string; tokenFile: string }> {
  const dir = join(stateDir, 'store');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const credentialsFile = join(dir, 'credentials.json');
  const tokenFile = join(dir, 'build-token');
  const existing = await readFile(credentialsFile, 'utf8').catch(() => undefined);
  const token = await readFile(tokenFile, 'utf8').catch(() => undefined);
  if (existing === undefined || token === undefined) {
    const fresh = newToken();
    await writeFile(tokenFile, `${fresh}\n`, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
    await writeFile(credentialsFile, `${JSON.stringify({ tokens: [{ name: 'local-build', role: 'build', sha256: hashToken(fresh) }] }, null, 2)}\n`, { mode: 0o600 });
  }
  return { credentialsFile, tokenFile };
}
