/**
 * The files behind one virtual machine of the lab, as text. Pure.
 *
 * ipmi_sim is the BMC; its chassis_control program starts and stops a QEMU
 * q35 guest with an emulated intel-iommu that PXE-boots through its iPXE ROM
 * from the lab's TFTP root. The program must answer in well under a second:
 * ipmitool retransmits after ~1 s and the single-threaded ipmi_sim would
 * then run the command twice, so power off is a SIGKILL and power on starts
 * QEMU in the background.
 */
export interface VirtualMachineLayout {
  readonly name: string;
  /** This machine's own directory (pid files, boot flag, QEMU output). */
  readonly dir: string;
  readonly bmcPort: number;
  readonly bmcUser: string;
  readonly bmcPassword: string;
  readonly consolePort: number;
  readonly mac: string;
  readonly tftpRoot: string;
  readonly memoryMb: number;
  readonly chassisProgram: string;
  /** `tcp`: kbisect reads QEMU's serial socket; `sol`: the BMC does, and kbisect uses IPMI serial-over-LAN. */
  readonly console: 'tcp' | 'sol';
}

/** Single-quotes a value for sh; our own paths only, but quoting keeps it honest. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function lanConf(vm: VirtualMachineLayout): string {
  return [
    `name "${vm.name}"`,
    'set_working_mc 0x20',
    '  startlan 1',
    `    addr 127.0.0.1 ${vm.bmcPort}`,
    '    priv_limit admin',
    '    allowed_auths_callback none md2 md5 straight',
    '    allowed_auths_user none md2 md5 straight',
    '    allowed_auths_operator none md2 md5 straight',
    '    allowed_auths_admin none md2 md5 straight',
    '    guid a123456789abcdefa123456789abcdef',
    '  endlan',
    `  chassis_control "${vm.chassisProgram}"`,
    ...(vm.console === 'sol' ? [`  sol "telnet:127.0.0.1:${vm.consolePort}" 115200`] : []),
    `  user 2 true "${vm.bmcUser}" "${vm.bmcPassword}" admin 10 none md2 md5 straight`,
    '',
  ].join('\n');
}

export const BMC_EMULATION = ['mc_setbmc 0x20', 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr', 'sel_enable 0x20 1000 0x0a', 'mc_enable 0x20', ''].join('\n');

/** QEMU's arguments for one power-on, without the boot order (the script adds it). */
export function qemuArgs(vm: VirtualMachineLayout): string[] {
  return [
    '-accel', 'tcg', '-M', 'q35,kernel-irqchip=split', '-device', 'intel-iommu,intremap=on,caching-mode=on',
    '-m', String(vm.memoryMb), '-smp', '1', '-nographic', '-no-reboot', '-monitor', 'none',
    // The PXE NIC (QEMU's user network answers DHCP and serves the TFTP root).
    '-netdev', `user,id=pxe,tftp=${vm.tftpRoot},bootfile=boot.ipxe`, '-device', `e1000,netdev=pxe,mac=${vm.mac}`,
    // A device alone in its IOMMU group, for tests that bind it to vfio-pci (0000:00:05.0).
    '-device', 'e1000,addr=05.0,romfile=',
    // The serial console as a console server would offer it: raw TCP, and QEMU
    // waits for the reader before running, so not one byte is lost. For SOL
    // the BMC simulator is the reader: it connects (telnet) when a session opens.
    '-chardev', vm.console === 'sol'
      ? `socket,id=con,host=127.0.0.1,port=${vm.consolePort},server=on,wait=off,telnet=on,logfile=${vm.dir}/console-all.log`
      : `socket,id=con,host=127.0.0.1,port=${vm.consolePort},server=on,wait=on,logfile=${vm.dir}/console-all.log`,
    '-serial', 'chardev:con',
  ];
}

/**
 * The chassis_control program ipmi_sim calls as `PROG get power`, `PROG get
 * boot`, `PROG set power 1|0`, `PROG set reset 1`, `PROG set shutdown 1`,
 * `PROG set boot pxe|default|…`. A killed QEMU can linger as a zombie, so
 * "on" means a live, non-zombie process.
 */
export function chassisScript(vm: VirtualMachineLayout): string {
  const d = shQuote(vm.dir);
  return `#!/bin/sh
# kbisect virtual lab: chassis control for ${vm.name} (generated)
d=${d}
running() {
  [ -f "$d/qemu.pid" ] || return 1
  pid=$(cat "$d/qemu.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || return 1
  ! grep -q '^State:.*Z' "/proc/$pid/status"
}
off() {
  if running; then kill -9 "$(cat "$d/qemu.pid")" 2>/dev/null; fi
  rm -f "$d/qemu.pid"
}
on() {
  running && return 0
  order=c
  # Like a real BMC: a boot device override applies to the next boot only.
  if [ "$(cat "$d/bootdev" 2>/dev/null)" = pxe ]; then order=n; fi
  echo default > "$d/bootdev"
  set -- ${qemuArgs(vm).map(shQuote).join(' ')} -boot "order=$order"
  # $! is QEMU itself (no wrapper), the PID the lab and its guard track.
  qemu-system-x86_64 "$@" </dev/null >>"$d/qemu.out" 2>&1 &
  echo $! > "$d/qemu.pid"
}
case "$1 $2" in
  "get power") if running; then echo power:1; else echo power:0; fi ;;
  "get boot") echo "boot:$(cat "$d/bootdev" 2>/dev/null || echo default)" ;;
  "set power") if [ "$3" = 1 ]; then on; else off; fi ;;
  "set reset") off; on ;;
  "set shutdown") off ;;
  "set boot") echo "$3" > "$d/bootdev" ;;
esac
exit 0
`;
}

/**
 * Cleans up after a harness that died without stopping the lab: waits for
 * the owner process to go, then kills exactly the PIDs the lab recorded.
 */
export function guardScript(ownerPid: number, labDir: string): string {
  return `#!/bin/sh
# kbisect virtual lab guard (generated): owner ${ownerPid}
while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done
for f in ${shQuote(labDir)}/*/qemu.pid ${shQuote(labDir)}/*/ipmi_sim.pid; do
  [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
done
exit 0
`;
}
