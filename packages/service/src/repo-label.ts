import { redactUrlCredentials } from '@kbisect/git';

/**
 * How a bisection's repository is shown to readers (GET, lists, reports,
 * mails): the registered tree's name where it has one — the path or URL
 * behind it is the workers' business — else the URL with any credentials an
 * older record may hold redacted.
 */
export function repoLabel(created: { readonly request: { readonly repo: string }; readonly tree?: string } | undefined): string {
  if (!created) return '';
  return created.tree ?? redactUrlCredentials(created.request.repo);
}
