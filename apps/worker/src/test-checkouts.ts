import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Checkout } from '@kbisect/git';
import { InfrastructureError } from './infrastructure-error.js';

/** What the pool needs of a repository: a reusable checkout of its mirror at a directory. */
export interface CheckoutOpener {
  openCheckout(dir: string): Checkout;
}

/**
 * The command-test role's worktrees: each test slot keeps one reusable
 * checkout per repository it tested lately and moves it from commit to commit,
 * so a test writes only the files that differ instead of a whole tree. A job
 * holds its slot for as long as it runs, so concurrent jobs never share a
 * checkout; the checkout itself cleans whatever the last test left.
 */
export interface TestCheckouts {
  /** Runs `use` with a free slot's checkout of `source`. */
  use<T>(source: string, repo: CheckoutOpener, use: (checkout: Checkout) => Promise<T>): Promise<T>;
  /** Removes every worktree the slots hold. */
  close(): Promise<void>;
}

/** Repositories a slot keeps a worktree of: a kernel worktree is ~1.5 GB on disk. */
const DEFAULT_PER_SLOT = 2;

/** `slotDirs`: one directory per concurrent command test, claimed by this process alone (claimSlots). */
export function testCheckouts(slotDirs: readonly string[], perSlot = DEFAULT_PER_SLOT): TestCheckouts {
  const free = [...slotDirs];
  // Per slot, its checkouts by repository source, least recently used first.
  const kept = new Map<string, Map<string, Checkout>>(slotDirs.map((d) => [d, new Map()]));
  return {
    async use(source, repo, use) {
      const slot = free.shift();
      if (slot === undefined) throw new InfrastructureError(`no free test slot: more command tests at once than the ${slotDirs.length} slots`);
      try {
        const mine = kept.get(slot)!;
        const checkout = mine.get(source) ?? repo.openCheckout(join(slot, createHash('sha256').update(source).digest('hex').slice(0, 16)));
        mine.delete(source);
        mine.set(source, checkout);
        for (const [other, old] of mine) {
          if (mine.size <= perSlot) break;
          mine.delete(other);
          await old.dispose();
        }
        return await use(checkout);
      } finally {
        free.push(slot);
      }
    },
    async close() {
      for (const mine of kept.values()) {
        for (const checkout of mine.values()) await checkout.dispose();
        mine.clear();
      }
    },
  };
}
