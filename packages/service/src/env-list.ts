/**
 * A list setting from the environment (KBISECT_OPEN_REPOS=https, git;
 * KBISECT_LAB_ROOTS=/a:/b): split on the separator, each item trimmed, empty
 * items dropped, so a trailing separator or spaces after commas mean nothing.
 * Unset and empty both give []. Checking the items is the caller's: its error
 * names the variable.
 */
export function splitEnvList(value: string | undefined, separator: ',' | ':' = ','): string[] {
  return (value ?? '').split(separator).map((item) => item.trim()).filter((item) => item !== '');
}
