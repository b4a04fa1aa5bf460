import { Type, type Static } from '@sinclair/typebox';

/**
 * A test machine as a lab operator registers it. The BMC password is never
 * part of it: only a reference to where a worker reads it (an environment
 * variable or a file on the worker), so the API, Redis and the logs never
 * hold the secret itself.
 */
const Name = (description: string) => Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9][a-z0-9._-]*$', description });
const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^(?!-)[A-Za-z0-9.:-]+$', description: 'A host name or an IPv4/IPv6 address' });
const Port = (fallback: number) => Type.Integer({ minimum: 1, maximum: 65_535, default: fallback });
const AbsolutePath = (description: string) => Type.String({ minLength: 2, maxLength: 1024, pattern: '^/(?!.*(?:^|/)\\.\\.(?:/|$))[^\\x00-\\x1f]*$', description });

export const SecretRefSchema = Type.Union([
  Type.Object({ env: Type.String({ pattern: '^[A-Z_][A-Z0-9_]{0,127}$', description: 'Name of an environment variable on the workers' }) }, { additionalProperties: false }),
  Type.Object({ file: AbsolutePath('A file on the workers holding the secret (first line)') }, { additionalProperties: false }),
], { description: 'Where workers read the secret: {"env": NAME} or {"file": PATH}; never the secret itself' });

export const ConsoleSourceSchema = Type.Union([
  Type.Object({ type: Type.Literal('sol') }, { additionalProperties: false, description: "IPMI serial-over-LAN through the machine's BMC" }),
  Type.Object({ type: Type.Literal('tcp'), host: Host, port: Type.Integer({ minimum: 1, maximum: 65_535 }) }, { additionalProperties: false, description: 'A raw TCP console (console server, ser2net, QEMU chardev socket)' }),
  Type.Object({ type: Type.Literal('file'), path: AbsolutePath('A console log file that grows while the machine runs (conserver-style)') }, { additionalProperties: false }),
]);

export const MachineSpecSchema = Type.Object(
  {
    id: Name('Machine id, unique in the deployment'),
    pool: Name('Machines in one pool can run the same tests'),
    arch: Type.Literal('x86_64', { default: 'x86_64' }),
    mac: Type.String({ pattern: '^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$', description: 'MAC of the NIC it PXE-boots from, aa:bb:cc:dd:ee:ff' }),
    bmc: Type.Object(
      {
        host: Host,
        port: Port(623),
        user: Type.String({ minLength: 1, maxLength: 16, pattern: '^(?!-)[A-Za-z0-9._-]+$', description: "IPMI user name (at most 16 characters, not starting with '-': ipmitool would take it as an option)" }),
        password: SecretRefSchema,
      },
      { additionalProperties: false },
    ),
    console: ConsoleSourceSchema,
    pxe: Type.Object(
      {
        tftpRoot: AbsolutePath('TFTP root the lab DHCP/TFTP server serves; per-test files go under kbisect/'),
        loader: Type.Union([Type.Literal('ipxe'), Type.Literal('pxelinux')], { default: 'ipxe' }),
        method: Type.Optional(Type.Union([Type.Literal('ipxe-http'), Type.Literal('tftp')], {
          description: "How the kernel and initramfs reach the machine. 'ipxe-http': TFTP serves only the iPXE script, which fetches them from the lab worker's boot HTTP server through per-boot URLs (iPXE machines only). 'tftp' (when absent): both are copied under the TFTP root, the only way for pxelinux machines",
        })),
      },
      { additionalProperties: false },
    ),
    cmdline: Type.String({ maxLength: 1024, pattern: '^[\\x20-\\x23\\x25-\\x7e]*$', default: 'console=ttyS0,115200 panic=-1', description: "Kernel command-line base; the test adds its own words. Printable ASCII without '$' (boot scripts would expand it)" }),
    pciAddress: Type.Optional(Type.String({ pattern: '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$', description: 'PCI device the reproducer may bind to vfio-pci, e.g. 0000:00:05.0' })),
  },
  { additionalProperties: false },
);

export type SecretRef = Static<typeof SecretRefSchema>;
export type ConsoleSource = Static<typeof ConsoleSourceSchema>;
export type MachineSpec = Static<typeof MachineSpecSchema>;

/** How a machine's kernel and initramfs travel; absent means TFTP (machines registered before HTTP boot). */
export type BootMethod = 'ipxe-http' | 'tftp';

export function bootMethodOf(spec: MachineSpec): BootMethod {
  return spec.pxe.method ?? 'tftp';
}

export type MachineState = 'ready' | 'drained' | 'quarantined';

/** What the registry knows about a machine besides its spec. */
export interface MachineStatus {
  readonly state: MachineState;
  /** Why it was drained or quarantined. */
  readonly reason?: string;
  /** Infrastructure failures in a row; a success resets it. */
  readonly infraFailures: number;
  readonly lastInfraFailure?: string;
  /** The test holding the machine, if leased. */
  readonly leasedBy?: string;
  readonly updatedAt: string;
}

export interface Machine extends MachineSpec {
  readonly status: MachineStatus;
}

/** MACs are compared and written lower-case with colons; boot loaders want hyphens. */
export function normalizeMac(mac: string): string {
  return mac.toLowerCase();
}

export function macWithHyphens(mac: string): string {
  return normalizeMac(mac).replace(/:/g, '-');
}
