import { execa } from 'execa';
import { classifyIpmiFailure, ipmiErrorSummary } from './ipmi-failure.js';
import { LabInfraError } from './lab-errors.js';

export interface BmcAddress {
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

export interface IpmiOptions {
  /** Kill one ipmitool call after this long. @defaultValue 15000 */
  readonly callTimeoutMs?: number;
  /** Further tries after an unreachable BMC or a refused command (never after a refused password). @defaultValue 2 */
  readonly retries?: number;
  /** Pause before a retry. @defaultValue 500 */
  readonly retryDelayMs?: number;
  /** RMCP+ cipher suite; 3 (HMAC-SHA1, AES) is what most BMCs and ipmi_sim offer. @defaultValue 3 */
  readonly cipherSuite?: number;
  readonly ipmitool?: string;
}

export type PowerState = 'on' | 'off';

// One queue per BMC for the whole process: BMCs (and ipmi_sim, which is
// single-threaded) misbehave when two chassis commands overlap.
const bmcQueues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = bmcQueues.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  bmcQueues.set(key, tail);
  void tail.then(() => {
    if (bmcQueues.get(key) === tail) bmcQueues.delete(key);
  });
  return run;
}

/**
 * ipmitool over lanplus. The password travels in the child's environment
 * (`-E` reads IPMI_PASSWORD), never in its argv, so `ps` cannot show it.
 * Every call is serialized per BMC, bounded in time and retried a few times;
 * failures are classified infrastructure errors, never verdicts.
 */
export class IpmiClient {
  private readonly key: string;
  constructor(private readonly bmc: BmcAddress, private readonly password: string, private readonly opts: IpmiOptions = {}) {
    this.key = `${bmc.host}:${bmc.port}`;
  }

  async powerStatus(): Promise<PowerState> {
    const out = await this.call(['power', 'status']);
    if (/Chassis Power is on/i.test(out)) return 'on';
    if (/Chassis Power is off/i.test(out)) return 'off';
    throw new LabInfraError('bmc-command-refused', `BMC ${this.key} answered 'power status' with '${out.trim().slice(0, 80)}'`);
  }

  async powerOn(): Promise<void> {
    await this.call(['power', 'on']);
  }

  async powerOff(): Promise<void> {
    await this.call(['power', 'off']);
  }

  async powerCycle(): Promise<void> {
    await this.call(['power', 'cycle']);
  }

  /**
   * Next boot from the network. Read back, because some BMCs (ipmi_sim among
   * them, in some setups) answer a refused bootdev with exit status 0.
   */
  async setBootPxe(): Promise<void> {
    await this.call(['chassis', 'bootdev', 'pxe']);
    const readBack = await this.call(['chassis', 'bootparam', 'get', '5']);
    if (!/Boot Device Selector\s*:\s*Force PXE/i.test(readBack)) {
      throw new LabInfraError('bmc-command-refused', `BMC ${this.key} did not keep 'chassis bootdev pxe' (boot flags read back: ${/Boot Device Selector\s*:\s*(.*)/i.exec(readBack)?.[1] ?? 'none'})`);
    }
  }

  /** Ends any serial-over-LAN session left open (by us or anyone else). */
  async solDeactivate(): Promise<void> {
    await this.call(['sol', 'deactivate']).catch((err: unknown) => {
      // "SOL payload already de-activated" is the normal answer when none was open.
      if (!(err instanceof LabInfraError && err.kind === 'bmc-command-refused')) throw err;
    });
  }

  /** The argv and env for a long-running `sol activate` (the console reader owns the process). */
  solActivateCommand(): { file: string; args: string[]; env: Record<string, string> } {
    return { file: this.opts.ipmitool ?? 'ipmitool', args: this.baseArgs().concat(['sol', 'activate']), env: { IPMI_PASSWORD: this.password } };
  }

  private baseArgs(): string[] {
    return ['-v', '-I', 'lanplus', '-C', String(this.opts.cipherSuite ?? 3), '-H', this.bmc.host, '-p', String(this.bmc.port), '-U', this.bmc.user, '-E', '-N', '2', '-R', '1'];
  }

  private call(command: string[]): Promise<string> {
    return serialized(this.key, async () => {
      const retries = this.opts.retries ?? 2;
      for (let attempt = 0; ; attempt++) {
        const r = await execa(this.opts.ipmitool ?? 'ipmitool', this.baseArgs().concat(command), {
          env: { IPMI_PASSWORD: this.password },
          reject: false,
          timeout: this.opts.callTimeoutMs ?? 15_000,
          killSignal: 'SIGKILL',
          stdin: 'ignore',
        });
        if (r.exitCode === 0 && !r.timedOut) return String(r.stdout);
        // No exit code and no timeout: ipmitool itself could not be started.
        if (r.exitCode === undefined && !r.timedOut) throw new LabInfraError('bmc-unreachable', `cannot run ${this.opts.ipmitool ?? 'ipmitool'} (apt-get install ipmitool): ${r.shortMessage ?? 'spawn failed'}`);
        const stderr = String(r.stderr);
        const kind = classifyIpmiFailure(stderr, r.timedOut);
        if (kind === 'bmc-auth-refused' || attempt >= retries) {
          const what = r.timedOut ? `timed out after ${this.opts.callTimeoutMs ?? 15_000} ms` : ipmiErrorSummary(stderr);
          throw new LabInfraError(kind, `ipmitool ${command.join(' ')} on BMC ${this.key} as '${this.bmc.user}': ${kindText[kind]} (${what})`);
        }
        await new Promise((resolve) => setTimeout(resolve, this.opts.retryDelayMs ?? 500));
      }
    });
  }
}

const kindText: Record<string, string> = {
  'bmc-auth-refused': 'the BMC refused the user name or password',
  'bmc-unreachable': 'the BMC does not answer',
  'bmc-command-refused': 'the BMC refused the command',
};
