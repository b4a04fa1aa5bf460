/**
 * One boot test on a lab machine that, when the console holds no result
 * line (a panic, a hang, a power-off), prints the console's tail: the test's
 * failure message then says what the machine said, not only "skip".
 */
import { readFile } from 'node:fs/promises';
import { runBootTest, type BootTestRequest, type BootTestResult, type MachineSpec } from '@kbisect/lab';

export async function bootShowingConsole(machine: MachineSpec, password: string, req: BootTestRequest): Promise<BootTestResult> {
  const r = await runBootTest(machine, password, req);
  if (r.outcome.kind !== 'result') console.log(`${req.jobId}: ${r.reason}; console tail:\n${(await readFile(r.consoleLog, 'utf8').catch(() => '')).slice(-1500)}`);
  return r;
}
