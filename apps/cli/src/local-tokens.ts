import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashToken, newToken, tokenLimitsFromEnv, TokenRegistry } from '@kbisect/service';

/**
 * For `serve` on the embedded default: a tokens file with one local admin
 * token, created once. The file keeps only the hash; the token itself is
 * written beside it, readable by this user alone, and the path is printed.
 */
export async function ensureLocalAdminToken(stateDir: string): Promise<{ registry: TokenRegistry; tokenPath: string; tokensPath: string; created: boolean }> {
  await mkdir(stateDir, { recursive: true });
  const tokensPath = join(stateDir, 'tokens.json');
  const tokenPath = join(stateDir, 'admin-token');
  let created = false;
  let text: string;
  try {
    text = await readFile(tokensPath, 'utf8');
  } catch {
    const token = newToken();
    await writeFile(tokenPath, `${token}\n`, { mode: 0o600 });
    await chmod(tokenPath, 0o600);
    text = JSON.stringify({ tokens: [{ name: 'local-admin', role: 'admin', sha256: hashToken(token), commandProbe: true }] }, null, 2);
    await writeFile(tokensPath, `${text}\n`, { mode: 0o600 });
    created = true;
  }
  // The deployment's KBISECT_LIMIT_* defaults apply to the local admin too (checked here, at start).
  return { registry: TokenRegistry.parse(text, tokensPath, tokenLimitsFromEnv(process.env)), tokenPath, tokensPath, created };
}
