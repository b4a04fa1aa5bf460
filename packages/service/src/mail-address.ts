import { hasControlChars } from '@kbisect/git';

/** A mail address as a user or a tree's get_maintainer.pl names it. */
export interface MailAddress {
  readonly name?: string;
  readonly email: string;
}

export class MailAddressError extends Error {
  readonly code = 'KBISECT_ERR_MAIL_ADDRESS';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'MailAddressError';
  }
}

// Deliberately plain: one local part and one domain, no comments or groups; what mail headers carry safely.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** "Name <a@b>", "\"Name\" <a@b>" or "a@b" → an address; anything else is a one-line error naming the field. */
export function parseAddress(text: string, field: string): MailAddress {
  const s = text.trim();
  if (hasControlChars(s)) throw new MailAddressError(field, 'an address may not contain control characters or line breaks');
  if (s.length === 0 || s.length > 320) throw new MailAddressError(field, 'an address must be 1 to 320 characters');
  const m = /^(.*?)\s*<([^<>]+)>$/.exec(s);
  const email = (m ? m[2]! : s).trim();
  if (!EMAIL.test(email)) throw new MailAddressError(field, `'${email.slice(0, 80)}' is not a mail address (expected name@domain or "Name <name@domain>")`);
  const name = m ? m[1]!.trim().replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1') : '';
  return name ? { name, email } : { email };
}

const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/**
 * RFC 2047 encoded-words (base64, UTF-8) for a header text with non-ASCII
 * characters, split on character boundaries so each word stays within 75
 * characters; ASCII text is returned as is.
 */
export function encodeHeaderText(s: string): string {
  if (isAscii(s)) return s;
  const words: string[] = [];
  let chunk = '';
  for (const ch of s) {
    // 39 bytes of UTF-8 → 52 base64 characters + 12 of "=?UTF-8?B?" and "?=": 64, so "Subject: " plus one word fits 78.
    if (Buffer.byteLength(chunk + ch) > 39) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/**
 * A header line folded at whitespace so its lines stay within 78
 * characters where its words allow (RFC 5322 2.1.1); encoded-words are
 * separate words, and whitespace between them is not part of the text.
 */
export function foldHeader(name: string, value: string): string {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of value.split(' ').filter((w) => w !== '')) {
    if (line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${word}`;
    } else line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** An address for a To/Cc/From header: the name quoted when it has specials, encoded when not ASCII. */
export function formatAddress(a: MailAddress): string {
  if (!a.name) return a.email;
  const name = !isAscii(a.name) ? encodeHeaderText(a.name) : /[()<>[\]:;@\\,."]/.test(a.name) ? `"${a.name.replace(/(["\\])/g, '\\$1')}"` : a.name;
  return `${name} <${a.email}>`;
}

/** Addresses without repeats (by address, case-insensitive), first occurrence kept. */
export function uniqueAddresses(list: readonly MailAddress[]): MailAddress[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const k = a.email.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
