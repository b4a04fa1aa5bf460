/**
 * Test helper process: starts a one-machine virtual lab in argv[2], powers
 * the machine on over IPMI, prints the PIDs it is responsible for, and waits
 * to be killed (the crash-cleanup test SIGKILLs it).
 */
import { readFile } from 'node:fs/promises';
import { IpmiClient } from '../ipmi-client.js';
import { VirtualLab } from './virtual-lab.js';

const lab = await VirtualLab.start({ dir: process.argv[2]!, machines: 1 });
const m = lab.machines[0]!;
await new IpmiClient(m.bmc, (await readFile(lab.passwordFile, 'utf8')).trim()).powerOn();
for (let i = 0; i < 50 && (await lab.pids()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
process.stdout.write(`PIDS ${(await lab.pids()).join(' ')}\n`);
setInterval(() => undefined, 1000);
