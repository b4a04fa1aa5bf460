import { readFile } from 'node:fs/promises';
import { apiClientFromEnv } from '../api-client.js';
import { parseOptions } from '../parse-options.js';
import { UsageError } from '../usage-error.js';

export const MACHINES_USAGE = `usage: kbisect machines [--pool POOL] [--json]          list machines, their state and lease
       kbisect machines add FILE.json                   register (or update) a machine from its spec
       kbisect machines drain ID [--reason TEXT]        take a machine out of service
       kbisect machines undrain ID [--reason TEXT]      back in service, failure count cleared
A spec names the BMC password only by reference: "password": {"env": "NAME"} or {"file": "/path"}.
Talks to a running API (KBISECT_URL, KBISECT_TOKEN).`;

interface Listed { id: string; pool: string; mac: string; bmc: { host: string; port: number }; status: { state: string; infraFailures: number; reason?: string; leasedBy?: string } }

/** Drain's and undrain's body: the reason when one was given (the API keeps it in the machine's history and checks it). */
function reasonBody(reason: string | undefined): { reason?: string } {
  return reason ? { reason } : {};
}

/** `kbisect machines`: the lab operator's side of the API. */
export async function machinesCommand(argv: readonly string[], io: { out: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseOptions('machines', argv, { pool: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const);
  if (values.help) {
    io.out(MACHINES_USAGE);
    return 0;
  }
  const [action, arg, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`kbisect machines: unexpected argument '${extra}'`);
  const client = await apiClientFromEnv(process.env);
  const id = (): string => {
    if (!arg || !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(arg)) throw new UsageError(`kbisect machines ${action}: give a machine id`);
    return arg;
  };
  switch (action) {
    case undefined:
    case 'list': {
      const { items } = await client.json<{ items: Listed[] }>('GET', `/api/v1/machines${values.pool ? `?pool=${encodeURIComponent(values.pool)}` : ''}`);
      if (values.json) {
        io.out(JSON.stringify(items, null, 2));
        return 0;
      }
      if (items.length === 0) io.out('no machines');
      for (const m of items) {
        const s = m.status;
        io.out(`${m.id.padEnd(16)} ${m.pool.padEnd(12)} ${s.state.padEnd(11)} ${s.leasedBy ? `busy (${s.leasedBy.slice(0, 24)})` : 'idle'.padEnd(8)} failures ${s.infraFailures}  BMC ${m.bmc.host}:${m.bmc.port}  ${m.mac}${s.reason ? `  - ${s.reason}` : ''}`);
      }
      return 0;
    }
    case 'add': {
      if (!arg) throw new UsageError('kbisect machines add: give the spec file (JSON)');
      let spec: unknown;
      try {
        spec = JSON.parse(await readFile(arg, 'utf8'));
      } catch (err) {
        throw new UsageError(`kbisect machines add: ${arg}: ${err instanceof SyntaxError ? 'not valid JSON' : 'cannot be read'}`);
      }
      const res = await client.request('POST', '/api/v1/machines', spec);
      const m = JSON.parse(res.text) as Listed;
      io.out(`${res.status === 201 ? 'registered' : 'updated'} ${m.id} in pool ${m.pool}`);
      return 0;
    }
    case 'drain': {
      const m = await client.json<Listed>('POST', `/api/v1/machines/${id()}/drain`, reasonBody(values.reason));
      io.out(`${m.id} drained${m.status.leasedBy ? ' (its running test finishes first)' : ''}`);
      return 0;
    }
    case 'undrain': {
      const m = await client.json<Listed>('POST', `/api/v1/machines/${id()}/undrain`, reasonBody(values.reason));
      io.out(`${m.id} ready`);
      return 0;
    }
    default:
      throw new UsageError(`kbisect machines: unknown action '${action}' (list, add, drain, undrain)`);
  }
}
