import { tmpdir } from 'node:os';
import type { BisectionRequest, BisectionStore, ReportRecipients } from '@kbisect/service';
import { kernelVersion, pickToolchain, toolchainIdOf } from '@kbisect/kbuild';
import type { Sandbox } from '@kbisect/sandbox';
import type { OpenRepo } from './repo-port.js';
import { lookUpMaintainers } from './maintainers.js';

export interface ReportFactsDeps {
  readonly store: BisectionStore;
  readonly openRepo: OpenRepo;
  readonly now: () => Date;
  /** Where the maintainer lookup's worktree goes. @defaultValue the OS temp dir */
  readonly scratchDir?: string;
  /** Where the tree's get_maintainer.pl runs. */
  readonly sandbox: Sandbox;
}

/**
 * At the end of a bisection: record once what the report's mail needs and
 * only a worker with the tree can learn — recipients from the tree's
 * get_maintainer.pl on the culprit (or candidates), and the compiler the
 * kernel builds chose for its version. A failure here never fails the
 * bisection: the event then says why there are no recipients.
 */
export async function recordReportFacts(deps: ReportFactsDeps, bisectionId: string, request: BisectionRequest, commits: readonly string[]): Promise<void> {
  const log = await deps.store.log.read(bisectionId);
  if (log.some((e) => e.event.type === 'report-facts')) return;
  let recipients: ReportRecipients;
  let toolchain: string | undefined;
  try {
    const repo = await deps.openRepo(request.repo);
    recipients = await lookUpMaintainers(repo, commits, { scratchDir: deps.scratchDir ?? tmpdir(), sandbox: deps.sandbox });
    if (request.probe.type === 'kernel' && commits[0]) {
      toolchain = await toolchainIdOf(pickToolchain(kernelVersion((await repo.readFileAt(commits[0], 'Makefile')) ?? ''))).catch(() => undefined);
    }
  } catch (err) {
    recipients = { source: 'none', commits: [...commits], addresses: [], note: `the maintainer lookup failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300)}` };
  }
  await deps.store.log.appendOnce(bisectionId, 'report-facts', { type: 'report-facts', at: deps.now().toISOString(), recipients, ...(toolchain ? { toolchain } : {}) });
}
