import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (scripts/setup installs it); playwright-core drives it, no downloaded browser. */
export const CHROMIUM = process.env.KBISECT_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  // Tests run as root on CI machines, where chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
}
