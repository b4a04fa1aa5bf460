/**
 * The boot-loader files for one test, as text. Pure: staging writes them.
 *
 * Layout under the TFTP root (one layout for iPXE and pxelinux labs):
 *   boot.ipxe                      entry script the DHCP server hands out; chains per MAC
 *   kbisect/mac/<aa-bb-…>.ipxe     this machine's current test (iPXE)
 *   pxelinux.cfg/01-<aa-bb-…>      this machine's current test (pxelinux)
 *   kbisect/<job>/vmlinuz, initrd.img  the test's files (boot method tftp only; ipxe-http
 *                                  machines fetch them from the lab worker's HTTP server)
 */
export const IPXE_ENTRY_SCRIPT = [
  '#!ipxe',
  '# kbisect: boot the test staged for this MAC; nothing staged means no test, so stop.',
  'chain /kbisect/mac/${net0/mac:hexhyp}.ipxe || goto none',
  ':none',
  'echo kbisect: no test staged for ${net0/mac:hexhyp}',
  'poweroff || exit',
  '',
].join('\n');

export interface StagedPaths {
  /** Relative to the TFTP root, with a leading slash; or, for iPXE, an http:// URL. */
  readonly kernel: string;
  readonly initrd: string;
}

export function ipxeTestScript(jobId: string, paths: StagedPaths, cmdline: string): string {
  return ['#!ipxe', `# kbisect job ${jobId}`, `kernel ${paths.kernel} ${cmdline}`, `initrd ${paths.initrd}`, 'boot', ''].join('\n');
}

export function pxelinuxConfig(jobId: string, paths: StagedPaths, cmdline: string): string {
  return [`# kbisect job ${jobId}`, 'DEFAULT kbisect', 'PROMPT 0', 'TIMEOUT 1', 'LABEL kbisect', `  KERNEL ${paths.kernel.slice(1)}`, `  INITRD ${paths.initrd.slice(1)}`, `  APPEND ${cmdline}`, ''].join('\n');
}

/**
 * Why a command line cannot go into a boot script, or undefined. iPXE expands
 * `${…}` and ends a command at a newline; pxelinux reads one line.
 */
export function cmdlineProblem(cmdline: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(cmdline)) return 'contains a control or non-ASCII character';
  if (cmdline.includes('$')) return "contains '$', which iPXE would expand";
  if (cmdline.length > 2048) return 'is longer than 2048 characters';
  return undefined;
}
