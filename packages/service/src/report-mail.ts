import type { BisectionFold } from './bisection-fold.js';
import type { BisectionView } from './bisection-view.js';
import type { ReportRecipients } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { MailAddressError, encodeHeaderText, foldHeader, formatAddress, parseAddress, uniqueAddresses, type MailAddress } from './mail-address.js';
import { mailSafe, wrapText } from './mail-text.js';
import { mailBodyLines } from './report-mail-body.js';

/** Regressions go here; regzbot reads it (the kernel's reporting-regressions guide). */
export const REGRESSIONS_LIST = 'regressions@lists.linux.dev';

/** What a mail adds to the bisection: sender, extra recipients, the thread it answers. */
export interface MailOptions {
  /** Where the API is reachable from the mail's readers (KBISECT_PUBLIC_URL), no trailing slash. */
  readonly baseUrl: string;
  readonly from: string;
  readonly to?: readonly string[];
  readonly cc?: readonly string[];
  /** The original report's Message-ID, with or without <>. */
  readonly inReplyTo?: string;
  /** When the mail is dated (the bisection's end when unset). */
  readonly date?: Date;
  /** The range's commits in `git rev-list` order (the stored graph's): candidates are listed oldest first by it. */
  readonly order?: readonly string[];
}

/** The part of a bisection's fold the mail reads beyond the view. */
export type MailFold = Pick<BisectionFold, 'created' | 'initialized' | 'finished' | 'reportFacts'>;

/** The facts the mail needs beyond the view, as the fold keeps them. */
export function mailFactsOf(fold: MailFold): { request: BisectionRequest | undefined; recipients: ReportRecipients | undefined; toolchain: string | undefined; untestable: Record<string, string>; finishedAt: string | undefined } {
  const { created, initialized, finished, reportFacts } = fold;
  return { request: created?.request, recipients: reportFacts?.recipients, toolchain: reportFacts?.toolchain, untestable: { ...(initialized?.untestable ?? {}) }, finishedAt: finished?.at };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');
const clock = (d: Date): string => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
/** RFC 5322 date-time in UTC: "Mon, 30 Nov 2026 08:17:30 +0000". */
const rfc5322Date = (d: Date): string => `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${clock(d)} +0000`;
/** The mbox separator's asctime date: "Mon Nov 30 08:17:30 2026". */
const asctime = (d: Date): string => `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)} ${d.getUTCFullYear()}`;

/** An address-list header folded one address per line, so no header line passes 78 columns for long lists. */
const addressHeader = (name: string, list: readonly MailAddress[]): string => `${name}: ${list.map(formatAddress).join(',\n ')}`;

/** A Message-ID as <…>; one the user gave is checked (no spaces, one @). */
function messageId(id: string, field: string): string {
  const bare = id.trim().replace(/^<(.*)>$/, '$1');
  if (!/^[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+$/.test(bare) || bare.length > 250) throw new MailAddressError(field, `'${mailSafe(id).slice(0, 80)}' is not a Message-ID (expected <id@host>)`);
  return bare;
}

/** The subject: what the bisection found, in the culprit's own words. */
export function mailSubject(view: BisectionView): string {
  const fix = view.terms === 'fix';
  const subject = (sha: string): string | undefined => view.commits?.find((c) => c.sha === sha)?.subject;
  const one = (s: string): string => mailSafe(s).replace(/\s+/g, ' ').trim();
  if (view.status === 'found' && view.culprit) {
    const s = subject(view.culprit);
    return `[kbisect] ${fix ? 'fix bisected to' : 'regression bisected to'}: ${s ? one(s) : view.culprit.slice(0, 12)}`;
  }
  if (view.status === 'ambiguous' && view.candidates?.length) {
    const c = view.candidates;
    return `[kbisect] ${fix ? 'fix' : 'regression'} bisected to one of ${c.length} commits: ${c[0]!.slice(0, 12)}..${c.at(-1)!.slice(0, 12)}`;
  }
  return `[kbisect] bisection ${view.status}: ${one(view.bad)}`;
}

/**
 * The bisection's result as one RFC 5322 message in an mbox ("From "
 * separator, headers, blank line, body) that git send-email and mutt take as
 * is: To the people get_maintainer.pl named, Cc its lists, the regressions
 * list and whoever the user adds; UTF-8 headers encoded per RFC 2047; a plain
 * body wrapped at 72 columns with lines starting "From " quoted (mboxrd).
 */
export function formatMail(given: BisectionView, fold: MailFold, opts: MailOptions): string {
  const view = opts.order && given.candidates ? { ...given, candidates: oldestFirst(given.candidates, opts.order) } : given;
  const facts = mailFactsOf(fold);
  const from = parseAddress(opts.from, 'from');
  const userTo = (opts.to ?? []).map((a, i) => parseAddress(a, `to[${i}]`));
  const userCc = (opts.cc ?? []).map((a, i) => parseAddress(a, `cc[${i}]`));
  const inReplyTo = opts.inReplyTo !== undefined ? messageId(opts.inReplyTo, 'inReplyTo') : undefined;
  // get_maintainer's lines: people (with a name) to To, lists (bare addresses) to Cc — the usual split.
  const found = (facts.recipients?.addresses ?? []).flatMap((line, i) => {
    try {
      return [parseAddress(line, `recipients[${i}]`)];
    } catch {
      return []; // a line the tree's script printed that is no address (a warning) is left out
    }
  });
  const people = found.filter((a) => a.name !== undefined);
  const lists = found.filter((a) => a.name === undefined);
  const regressions = view.terms === 'fix' ? [] : [{ email: REGRESSIONS_LIST }];
  let to = uniqueAddresses([...people, ...userTo]);
  let cc = uniqueAddresses([...lists, ...regressions, ...userCc]).filter((a) => !to.some((t) => t.email.toLowerCase() === a.email.toLowerCase()));
  if (to.length === 0) [to, cc] = [cc, []];
  const date = opts.date ?? (facts.finishedAt ? new Date(facts.finishedAt) : new Date());
  const host = new URL(opts.baseUrl).hostname || 'localhost';
  const headers = [
    `From: ${formatAddress(from)}`,
    ...(to.length ? [addressHeader('To', to)] : []),
    ...(cc.length ? [addressHeader('Cc', cc)] : []),
    foldHeader('Subject', encodeHeaderText(mailSubject(view))),
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: <kbisect.${view.id}@${host}>`,
    ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    'X-Mailer: kbisect',
  ];
  const body = wrapText(mailBodyLines({
    view, request: facts.request, recipients: facts.recipients, toolchain: facts.toolchain, untestable: facts.untestable,
    baseUrl: opts.baseUrl, reporter: from.name ? `${from.name} <${from.email}>` : from.email, inReplyTo,
  }).join('\n'));
  const quoted = body.split('\n').map((l) => (/^>*From /.test(l) ? `>${l}` : l)).join('\n');
  return `From ${from.email} ${asctime(date)}\n${headers.join('\n')}\n\n${quoted.trimEnd()}\n`;
}

/** Candidates oldest first, so "first..last" reads as a range; shas not in `order` keep their place at the end. */
function oldestFirst(candidates: readonly string[], order: readonly string[]): string[] {
  const at = new Map(order.map((sha, i) => [sha, i]));
  return [...candidates].sort((a, b) => (at.get(b) ?? -1) - (at.get(a) ?? -1));
}
