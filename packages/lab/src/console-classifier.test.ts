import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyConsole, judge } from './console-classifier.js';

// Excerpts in the shape real kernels print them (6.1 and 4.x).
const BOOT = '[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1\n[    0.000000] Command line: console=ttyS0 panic=-1\n';
const INIT = 'KBISECT-INIT-START\n';
const TEST = 'KBISECT-TEST-START vfio-pin\n';
const excerpts: [string, string, { deadlinePassed: boolean }, Record<string, unknown>, Record<string, unknown>][] = [
  ['clean boot, good result', BOOT + INIT + TEST + 'KBISECT-RESULT {"verdict":"good","iterations":300,"mismatches":0}\n', { deadlinePassed: false }, { kind: 'result', verdict: 'good', metrics: { iterations: 300, mismatches: 0 } }, { verdict: 'good' }],
  ['bad result', BOOT + INIT + TEST + 'pinned pfn moved: 0x12345 -> 0x6789a\nKBISECT-RESULT {"verdict":"bad","mismatches":17}\n', { deadlinePassed: false }, { kind: 'result', verdict: 'bad' }, { verdict: 'bad' }],
  ['panic before init', BOOT + '[    1.234567] VFS: Unable to mount root fs on unknown-block(0,0)\n[    1.234890] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n[    1.235000] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\n', { deadlinePassed: false }, { kind: 'crash', phase: 'before-init', signature: 'cannot mount root' }, { verdict: 'skip' }],
  ['oops during the test', BOOT + INIT + TEST + '[   12.000001] BUG: kernel NULL pointer dereference, address: 0000000000000008\n[   12.000002] #PF: supervisor read access in kernel mode\n[   12.000003] Oops: 0000 [#1] PREEMPT SMP NOPTI\n[   12.000004] RIP: 0010:follow_page_mask+0x1b/0x500\n', { deadlinePassed: false }, { kind: 'crash', phase: 'during-test', signature: 'BUG' }, { verdict: 'skip' }],
  ['general protection fault', BOOT + INIT + TEST + '[   30.5] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP NOPTI\n', { deadlinePassed: false }, { kind: 'crash', signature: 'general protection fault' }, { verdict: 'skip' }],
  ['soft lockup', BOOT + INIT + TEST + '[   52.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [vfio-pin:95]\n', { deadlinePassed: true }, { kind: 'crash', signature: 'soft lockup' }, { verdict: 'skip' }],
  ['hung task', BOOT + INIT + TEST + '[  245.2] INFO: task khugepaged:33 blocked for more than 120 seconds.\n[  245.2]       Not tainted 4.6.0-rc5 #1\n', { deadlinePassed: true }, { kind: 'crash', signature: 'hung task' }, { verdict: 'skip' }],
  ['RCU stall', BOOT + INIT + TEST + '[   60.1] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\n', { deadlinePassed: true }, { kind: 'crash', signature: 'RCU stall' }, { verdict: 'skip' }],
  ['hang in the test', BOOT + INIT + TEST + 'iteration 1\n', { deadlinePassed: true }, { kind: 'hang', phase: 'during-test' }, { verdict: 'skip' }],
  ['second boot banner (triple fault)', BOOT + INIT + TEST + BOOT, { deadlinePassed: false }, { kind: 'reboot', phase: 'during-test' }, { verdict: 'skip' }],
  ['power lost before the kernel reached init', BOOT, { deadlinePassed: false }, { kind: 'powered-off', phase: 'before-init' }, { retry: expect.stringMatching(/before the kernel reached init/) }],
  ['a skip with the reproducer\'s reason', BOOT + INIT + TEST + 'KBISECT-RESULT {"verdict":"skip","reason":"no IOMMU group","pages":0}\n', { deadlinePassed: false }, { kind: 'result', verdict: 'skip', reason: 'no IOMMU group', metrics: { pages: 0 } }, { verdict: 'skip', reason: 'test reported skip: no IOMMU group' }],
  ['a reproducer that crashed: the test ended without a result line', BOOT + INIT + TEST + 'Segmentation fault\nKBISECT-TEST-END\n', { deadlinePassed: false }, { kind: 'powered-off', phase: 'during-test' }, { verdict: 'skip', reason: 'machine powered off during test without a result' }],
  ['unreadable result line', BOOT + INIT + TEST + 'KBISECT-RESULT {"verdict":"maybe"}\n', { deadlinePassed: false }, { kind: 'bad-result-line' }, { verdict: 'skip' }],
];

describe('console classification', () => {
  it.each(excerpts)('%s', (_name, log, facts, outcome, judgement) => {
    const got = classifyConsole(log, facts);
    expect(got).toMatchObject(outcome);
    expect(judge(got)).toMatchObject(judgement);
  });

  it('counts a crash during the test as bad when the probe says crashes count', () => {
    const got = classifyConsole(excerpts[3]![1], { deadlinePassed: false });
    expect(judge(got, { crashBeforeTest: 'skip', crashesCount: true, hang: 'skip' })).toEqual({ verdict: 'bad', reason: 'BUG during the test' });
    expect(got.kind === 'crash' && got.lines.some((l) => l.includes('RIP: 0010:follow_page_mask'))).toBe(true);
  });
});

describe('whole console logs captured from Debian 6.1 under QEMU q35 + intel-iommu', () => {
  const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  it('a clean boot to a good result', () => {
    const got = classifyConsole(fixture('debian-6.1-clean-boot.console.log'), { deadlinePassed: false });
    expect(got).toMatchObject({ kind: 'result', verdict: 'good' });
  });
  it('rdinit pointing nowhere: the panic before init, with the panic line among the lines kept', () => {
    const got = classifyConsole(fixture('debian-6.1-no-init-panic.console.log'), { deadlinePassed: false });
    expect(got).toMatchObject({ kind: 'crash', phase: 'before-init', signature: 'cannot mount root' });
    expect(got.kind === 'crash' && got.lines.some((l) => l.includes('Kernel panic - not syncing: VFS: Unable to mount root fs'))).toBe(true);
    expect(judge(got)).toMatchObject({ verdict: 'skip', reason: 'cannot mount root before init' });
  });
});
