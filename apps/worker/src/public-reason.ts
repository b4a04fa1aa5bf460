import { redactUrlCredentials } from '@kbisect/git';
import { repoLabel, type LogEvent } from '@kbisect/service';

/**
 * A failure's text as readers of the bisection may see it (GET, watch,
 * report, mail): the registered tree's name instead of the path or URL
 * behind it, the worker's cache dir as `<cache>`, and no credentials.
 */
export function publicReason(message: string, created: Extract<LogEvent, { type: 'created' }> | undefined, cacheDir?: string): string {
  let text = message;
  if (created) {
    const { repo } = created.request;
    if (repo.length > 0) text = text.split(repo).join(repoLabel(created));
  }
  if (cacheDir !== undefined && cacheDir.length > 1) text = text.split(cacheDir.replace(/\/+$/, '')).join('<cache>');
  return redactUrlCredentials(text);
}
