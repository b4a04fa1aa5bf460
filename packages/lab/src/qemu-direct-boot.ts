import { execa } from 'execa';

export interface DirectBoot {
  readonly console: string;
  readonly poweredOff: boolean;
  readonly deadlinePassed: boolean;
  readonly seconds: number;
}

/**
 * Boots a kernel and initramfs directly (`-kernel`, no firmware, no PXE)
 * under QEMU q35 with TCG and the emulated intel-iommu, the console on
 * stdio. `panic=-1` with `-no-reboot` makes a panic end QEMU at once; at the
 * deadline QEMU is killed, which is how a hang looks from outside.
 */
export async function bootDirect(opts: { kernel: string; initrd: string; append: string; deadlineSec: number; memoryMb?: number }): Promise<DirectBoot> {
  const started = Date.now();
  const r = await execa('qemu-system-x86_64', [
    '-accel', 'tcg', '-M', 'q35,kernel-irqchip=split', '-device', 'intel-iommu,intremap=on,caching-mode=on',
    '-m', String(opts.memoryMb ?? 1024), '-smp', '1', '-nographic', '-no-reboot', '-nic', 'none',
    '-kernel', opts.kernel, '-initrd', opts.initrd, '-append', `console=ttyS0 panic=-1 intel_iommu=on ${opts.append}`,
  ], { reject: false, all: true, timeout: opts.deadlineSec * 1000, killSignal: 'SIGKILL', stdin: 'ignore' });
  return { console: typeof r.all === 'string' ? r.all : '', poweredOff: !r.timedOut, deadlinePassed: r.timedOut, seconds: (Date.now() - started) / 1000 };
}
