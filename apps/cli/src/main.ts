import { ACTIONS_USAGE, annotateCommand, cancelCommand, retryCommand, verdictCommand } from './commands/bisection-actions.js';
import { demoCommand } from './commands/demo.js';
import { listCommand, LIST_USAGE } from './commands/list.js';
import { machinesCommand, MACHINES_USAGE } from './commands/machines.js';
import { remoteTextCommand } from './commands/remote-text.js';
import { reportCommand, REPORT_USAGE } from './commands/report.js';
import { runCommand, RUN_USAGE } from './commands/run.js';
import { serveCommand, SERVE_USAGE } from './commands/serve.js';
import { storeCommand, STORE_USAGE } from './commands/store.js';
import { submitCommand, SUBMIT_USAGE } from './commands/submit.js';
import { treesCommand, TREES_USAGE } from './commands/trees.js';
import { watchCommand } from './commands/watch.js';

const USAGE = `usage: kbisect <command> [options]

commands:
  demo      a real kernel bisection on the virtual lab (build, PXE boot, vfio reproducer);
            --quick: a miniature of the 2016 THP case compared with git bisect run
  run       bisect a repository locally with a shell command as the test
  serve     run the API and all workers in one process (private Redis when REDIS_URL is unset)
  store     run the HTTP artifact store alone (build hosts upload kernels, lab hosts download)
  submit    submit a bisection to a running API (--watch to follow it)
  list      the bisections, newest first, filtered by status, tree, submitter or culprit text
  watch     follow a bisection's progress: kbisect watch <id>
  log       print a bisection as a git bisect log: kbisect log <id>
  report    print a plain-text report for a mailing-list reply, or (--mail) the mail itself
  cancel    stop a bisection: kbisect cancel <id>
  verdict   record a verdict by hand: kbisect verdict <id> <commit> good|bad|skip
  annotate  mark a result invalid, or name the real culprit, with a reason
  retry     submit a bisection's request again as a new bisection
  machines  list, register, drain and undrain lab machines
  trees     list, register and remove the kernel trees submissions name

${RUN_USAGE}

${SERVE_USAGE}

${STORE_USAGE}

${SUBMIT_USAGE}

${MACHINES_USAGE}

${TREES_USAGE}

${REPORT_USAGE}

${LIST_USAGE}

${ACTIONS_USAGE}`;

function isCoded(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('KBISECT_ERR_');
}

/** Entry point: one line per error, never a stack trace, unless KBISECT_DEBUG is set. */
export async function main(argv: readonly string[]): Promise<number> {
  const io = {
    out: (s: string) => void process.stdout.write(`${s}\n`),
    err: (s: string) => void process.stderr.write(`${s}\n`),
    isTty: process.stderr.isTTY === true,
  };
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'store':
        return await storeCommand(rest, io);
      case 'submit':
        return await submitCommand(rest, io);
      case 'watch':
        return await watchCommand(rest, io);
      case 'machines':
        return await machinesCommand(rest, io);
      case 'trees':
        return await treesCommand(rest, io);
      case 'log':
        return await remoteTextCommand(command, rest, io);
      case 'report':
        return await reportCommand(rest, io);
      case 'list':
        return await listCommand(rest, io);
      case 'cancel':
        return await cancelCommand(rest, io);
      case 'verdict':
        return await verdictCommand(rest, io);
      case 'annotate':
        return await annotateCommand(rest, io);
      case 'retry':
        return await retryCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`kbisect: unknown command '${command}' (try 'kbisect help')`);
        return 2;
    }
  } catch (err) {
    if (process.env.KBISECT_DEBUG && err instanceof Error) io.err(err.stack ?? err.message);
    if (isCoded(err)) {
      io.err(err.message.startsWith('kbisect') ? err.message : `kbisect: ${err.message}`);
      return err.code === 'KBISECT_ERR_USAGE' ? 2 : 1;
    }
    io.err(`kbisect: internal error: ${err instanceof Error ? err.message : String(err)}`);
    return 70;
  }
}
