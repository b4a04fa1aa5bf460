import { validateRepoSource } from '@kbisect/git';
import { ROLES, isRole, type Role, type Tree, type TreeRead } from '@kbisect/service';
import { apiClientFromEnv } from '../api-client.js';
import { parseOptions } from '../parse-options.js';
import { UsageError } from '../usage-error.js';

export const TREES_USAGE = `usage: kbisect trees [--json]                             list the registered kernel trees
       kbisect trees add NAME URL|PATH [--role R]… [--token NAME]… [--fragment F]… [--require-config CONFIG_X]… [--pool P]
                                                         register (or replace) a tree; --role/--token limit who may
                                                         submit to it, --fragment/--require-config/--pool are the
                                                         defaults of kernel probes that do not say
       kbisect trees remove NAME                         forget a tree (running bisections keep going)
Submissions name a tree: kbisect submit --repo NAME …  A path is as the workers see it
(relative paths are made absolute here); a URL carries no credentials. Needs an admin token.
Talks to a running API (KBISECT_URL, KBISECT_TOKEN).`;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** `kbisect trees`: the admin's side of registered trees. */
export async function treesCommand(argv: readonly string[], io: { out: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseOptions('trees', argv, {
    role: { type: 'string', multiple: true },
    token: { type: 'string', multiple: true },
    fragment: { type: 'string', multiple: true },
    'require-config': { type: 'string', multiple: true },
    pool: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help) {
    io.out(TREES_USAGE);
    return 0;
  }
  const [action, name, repo, extra] = positionals;
  const named = (): string => {
    if (!name || !NAME.test(name)) throw new UsageError(`kbisect trees ${action}: give a tree name (lower-case letters, digits, . _ -)`);
    return name;
  };
  switch (action) {
    case undefined:
    case 'list': {
      if (name !== undefined) throw new UsageError(`kbisect trees: unexpected argument '${name}'`);
      const { items } = await (await apiClientFromEnv(process.env)).json<{ items: TreeRead[] }>('GET', '/api/v1/trees');
      if (values.json) {
        io.out(JSON.stringify(items, null, 2));
        return 0;
      }
      if (items.length === 0) io.out('no trees (an admin registers one: kbisect trees add NAME URL|PATH)');
      for (const t of items) {
        const who = [...(t.roles ?? []).map((r) => `role ${r}`), ...(t.tokens ?? []).map((n) => `token ${n}`)].join(', ') || 'every submitter';
        const d = t.defaults;
        const defaults = d ? [d.configFragments ? `fragments ${d.configFragments.join(',') || '(none)'}` : '', d.requireConfig ? `requires ${d.requireConfig.join(',')}` : '', d.pool ? `pool ${d.pool}` : ''].filter(Boolean).join('; ') : '';
        // Only an admin's listing carries the repo behind the name.
        io.out(`${t.name.padEnd(16)} ${t.repo !== undefined ? `${t.repo}  ` : ''}(${who})${defaults ? `  defaults: ${defaults}` : ''}`);
      }
      return 0;
    }
    case 'add': {
      if (extra !== undefined) throw new UsageError(`kbisect trees add: unexpected argument '${extra}'`);
      if (!repo) throw new UsageError('kbisect trees add: give the tree\'s URL or path: kbisect trees add NAME URL|PATH');
      const tree = { name: named(), repo: asSent(repo), ...who(values), ...defaultsOf(values) };
      const res = await (await apiClientFromEnv(process.env)).request('POST', '/api/v1/trees', tree);
      const stored = JSON.parse(res.text) as Tree;
      io.out(`${res.status === 201 ? 'registered' : 'updated'} tree ${stored.name}: ${stored.repo}`);
      return 0;
    }
    case 'remove': {
      if (repo !== undefined) throw new UsageError(`kbisect trees remove: unexpected argument '${repo}'`);
      await (await apiClientFromEnv(process.env)).request('DELETE', `/api/v1/trees/${named()}`);
      io.out(`removed tree ${name}`);
      return 0;
    }
    default:
      throw new UsageError(`kbisect trees: unknown action '${action}' (list, add, remove)`);
  }
}

/** A path is sent absolute (the API's working directory is not the user's); URLs go as written. */
function asSent(repo: string): string {
  const source = validateRepoSource(repo, 'URL|PATH');
  return source.kind === 'path' && !repo.startsWith('file://') ? source.path : repo;
}

function who(values: { role?: string[]; token?: string[] }): Pick<Tree, 'roles' | 'tokens'> {
  const roles: Role[] = [];
  for (const r of values.role ?? []) {
    if (!isRole(r)) throw new UsageError(`kbisect trees add: --role: '${r}' is not a role (${ROLES.join(', ')})`);
    roles.push(r);
  }
  return { ...(roles.length > 0 ? { roles } : {}), ...(values.token?.length ? { tokens: values.token } : {}) };
}

function defaultsOf(values: { fragment?: string[]; 'require-config'?: string[]; pool?: string }): Pick<Tree, 'defaults'> {
  const defaults = {
    ...(values.fragment?.length ? { configFragments: values.fragment } : {}),
    ...(values['require-config']?.length ? { requireConfig: values['require-config'] } : {}),
    ...(values.pool !== undefined ? { pool: values.pool } : {}),
  };
  return Object.keys(defaults).length > 0 ? { defaults } : {};
}
