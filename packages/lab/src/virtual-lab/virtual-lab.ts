import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { IpmiClient } from '../ipmi-client.js';
import { LabConfigError } from '../lab-errors.js';
import type { BootMethod, MachineSpec } from '../machine.js';
import { freePort, udpPortBusy } from './free-port.js';
import { BMC_EMULATION, chassisScript, guardScript, lanConf, type VirtualMachineLayout } from './virtual-machine-files.js';

export interface VirtualLabOptions {
  /** Everything the lab writes lives here (created; left in place for the evidence). */
  readonly dir: string;
  /** @defaultValue 1 */
  readonly machines?: number;
  /** @defaultValue 'virtual' */
  readonly pool?: string;
  /** Guest memory; the kernel keeps THP off under 512 MiB. @defaultValue 1024 */
  readonly memoryMb?: number;
  /** @defaultValue 'vm' */
  readonly idPrefix?: string;
  /** How kbisect reads the consoles: QEMU's serial socket, or IPMI serial-over-LAN through the BMC. @defaultValue 'tcp' */
  readonly console?: 'tcp' | 'sol';
  /**
   * How the machines get their kernel: 'ipxe-http' from the lab worker's boot
   * file server (which must listen on 127.0.0.1: QEMU's user network shows it
   * to the guests as 10.0.2.2), or 'tftp' from the TFTP root.
   * @defaultValue 'ipxe-http'
   */
  readonly method?: BootMethod;
}

interface RunningVm {
  readonly layout: VirtualMachineLayout;
  readonly spec: MachineSpec;
  readonly ipmiSimPid: number;
}

/**
 * A lab on loopback that production code cannot tell from a real one: each
 * machine is an ipmi_sim BMC (lanplus on its own UDP port, a password only
 * the lab's password file holds) whose chassis control runs a QEMU guest
 * that PXE-boots from the lab's TFTP root, its serial console on a TCP port.
 * Everything started is tracked by PID; a guard process kills exactly those
 * PIDs if the process that started the lab dies without stopping it.
 */
export class VirtualLab {
  private stopped = false;
  private constructor(readonly dir: string, readonly tftpRoot: string, readonly passwordFile: string, private readonly vms: RunningVm[], private readonly guardPid: number | undefined) {}

  get machines(): readonly MachineSpec[] {
    return this.vms.map((vm) => vm.spec);
  }

  static async start(opts: VirtualLabOptions): Promise<VirtualLab> {
    const count = opts.machines ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 16) throw new LabConfigError('a virtual lab has 1 to 16 machines', 'machines');
    const dir = opts.dir;
    const tftpRoot = join(dir, 'tftp');
    await mkdir(tftpRoot, { recursive: true });
    const password = randomBytes(8).toString('hex') // IPMI passwords are at most 16 (v1.5) or 20 (v2) bytes;
    const passwordFile = join(dir, 'bmc-password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const guardFile = join(dir, 'guard.sh');
    await writeFile(guardFile, guardScript(process.pid, dir), { mode: 0o755 });
    const guard = spawn('sh', [guardFile], { detached: true, stdio: 'ignore' });
    guard.unref();
    const lab = new VirtualLab(dir, tftpRoot, passwordFile, [], guard.pid);
    try {
      const used = new Set<number>();
      for (let i = 0; i < count; i++) lab.vms.push(await startVm(lab, i, password, used, opts));
    } catch (err) {
      await lab.stop();
      throw err;
    }
    return lab;
  }

  /** Live PIDs the lab is responsible for (BMC simulators and guests). */
  async pids(): Promise<number[]> {
    const out: number[] = [];
    for (const vm of this.vms) {
      if (isLive(vm.ipmiSimPid)) out.push(vm.ipmiSimPid);
      const q = await qemuPid(vm.layout.dir);
      if (q !== undefined && isLive(q)) out.push(q);
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const vm of this.vms) {
      const q = await qemuPid(vm.layout.dir);
      if (q !== undefined) killQuietly(q, 'SIGKILL');
      killQuietly(vm.ipmiSimPid, 'SIGKILL');
      await rm(join(vm.layout.dir, 'qemu.pid'), { force: true });
      await rm(join(vm.layout.dir, 'ipmi_sim.pid'), { force: true });
    }
    if (this.guardPid !== undefined) killQuietly(this.guardPid, 'SIGKILL');
    for (let i = 0; i < 40 && (await this.pids()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  }
}

async function startVm(lab: VirtualLab, index: number, password: string, used: Set<number>, opts: VirtualLabOptions): Promise<RunningVm> {
  const name = `${opts.idPrefix ?? 'vm'}${index + 1}`;
  const vmDir = join(lab.dir, name);
  const stateDir = join(vmDir, 'bmc-state');
  // A state dir with user data would override the users in lan.conf.
  await rm(stateDir, { recursive: true, force: true });
  await mkdir(stateDir, { recursive: true });
  const bmcPort = await freePort('udp', used);
  used.add(bmcPort);
  const consolePort = await freePort('tcp', used);
  used.add(consolePort);
  const layout: VirtualMachineLayout = {
    name, dir: vmDir, bmcPort, bmcUser: 'kbisect', bmcPassword: password, consolePort,
    mac: `52:54:00:6b:62:${(index + 1).toString(16).padStart(2, '0')}`,
    tftpRoot: lab.tftpRoot, memoryMb: opts.memoryMb ?? 1024, chassisProgram: join(vmDir, 'chassis-control.sh'), console: opts.console ?? 'tcp',
  };
  await writeFile(layout.chassisProgram, chassisScript(layout), { mode: 0o755 });
  await writeFile(join(vmDir, 'lan.conf'), lanConf(layout), { mode: 0o600 });
  await writeFile(join(vmDir, 'bmc.emu'), BMC_EMULATION);
  await chmod(vmDir, 0o700);
  if (await udpPortBusy(bmcPort)) throw new LabConfigError(`UDP port ${bmcPort} was taken before ipmi_sim could bind it`);
  const sim = execa('ipmi_sim', ['-c', join(vmDir, 'lan.conf'), '-f', join(vmDir, 'bmc.emu'), '-s', stateDir, '-n'], {
    stdin: 'ignore', stdout: { file: join(vmDir, 'ipmi_sim.out') }, stderr: { file: join(vmDir, 'ipmi_sim.out') }, reject: false, cleanup: true,
  });
  const pid = sim.pid;
  if (pid === undefined) throw new LabConfigError('ipmi_sim did not start (apt-get install openipmi)');
  void sim.then(() => undefined);
  await writeFile(join(vmDir, 'ipmi_sim.pid'), `${pid}\n`);
  const spec: MachineSpec = {
    id: name, pool: opts.pool ?? 'virtual', arch: 'x86_64', mac: layout.mac,
    bmc: { host: '127.0.0.1', port: bmcPort, user: layout.bmcUser, password: { file: lab.passwordFile } },
    console: layout.console === 'sol' ? { type: 'sol' } : { type: 'tcp', host: '127.0.0.1', port: consolePort },
    pxe: { tftpRoot: lab.tftpRoot, loader: 'ipxe', method: opts.method ?? 'ipxe-http' },
    // no_timer_check: a TCG guest on a loaded host fails the kernel's early
    // IO-APIC timer check ("timer doesn't work through Interrupt-remapped
    // IO-APIC") and panics before init — seen at load 20 on 2 cores, where it
    // stopped a real-kernel bisection at its endpoint check. Real hardware
    // never needs it; the emulated machine's timer is what is slow.
    cmdline: 'console=ttyS0,115200 panic=-1 intel_iommu=on no_timer_check',
    pciAddress: '0000:00:05.0',
  };
  // The BMC is up when it answers; a simulator that died (port, config) never will.
  const ipmi = new IpmiClient(spec.bmc, password, { retries: 0, callTimeoutMs: 3000 });
  for (let i = 0; ; i++) {
    try {
      await ipmi.powerStatus();
      break;
    } catch (err) {
      if (i >= 20 || !isLive(pid)) throw new LabConfigError(`virtual BMC ${name} did not come up on UDP ${bmcPort}: ${(err as Error).message}; see ${join(vmDir, 'ipmi_sim.out')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { layout, spec, ipmiSimPid: pid };
}

async function qemuPid(vmDir: string): Promise<number | undefined> {
  const text = await readFile(join(vmDir, 'qemu.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** Alive and not a zombie (a killed QEMU reparented to PID 1 may linger as one). */
export function isLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
