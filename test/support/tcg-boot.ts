/**
 * One boot test on a virtual-lab machine, hardened against what a TCG guest
 * on a loaded host does before the kernel reaches init. At load 20 on 2
 * cores (measured here) the kernel's early IO-APIC timer check fails —
 * "timer doesn't work through Interrupt-remapped IO-APIC", a panic before
 * init that has nothing to do with the reproducer: `no_timer_check` skips
 * that check, and a panic before init anyway is booted again, at most twice
 * more. The console's tail is printed when there is no result line.
 */
import { readFile } from 'node:fs/promises';
import { runBootTest, type BootTestRequest, type BootTestResult, type MachineSpec } from '@kbisect/lab';

export const TCG_WORDS = 'no_timer_check';

export async function bootOnTcg(machine: MachineSpec, password: string, req: BootTestRequest): Promise<BootTestResult> {
  for (let attempt = 1; ; attempt++) {
    const r = await runBootTest(machine, password, { ...req, jobId: `${req.jobId}-${attempt}`, cmdline: `${req.cmdline ?? ''} ${TCG_WORDS}`.trim() });
    if (r.outcome.kind !== 'result') console.log(`${req.jobId}: ${r.reason}; console tail:\n${(await readFile(r.consoleLog, 'utf8').catch(() => '')).slice(-1500)}`);
    if (r.outcome.kind === 'crash' && r.outcome.phase === 'before-init' && attempt < 3) continue;
    return r;
  }
}
