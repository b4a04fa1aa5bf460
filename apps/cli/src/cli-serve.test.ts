/**
 * `kbisect serve` on the embedded default, driven by `kbisect submit --watch`,
 * `log` and `report` — as a new user would, in separate processes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { bugFileRepo, type BugFileRepo } from '../../../test/support/bug-file-repo.js';
import { oracleRepo, PROBE_TOOLS_DIR, type OracleRepo } from '../../../test/support/service-harness.js';
import { freePort } from '@kbisect/lab';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let state: string;
const startServe = (port: number, env: NodeJS.ProcessEnv) => execa('node', [BIN, 'serve', '--port', String(port)], { env, reject: false, stdin: 'ignore' });
let serve: ReturnType<typeof startServe>;
let url: string;
let repo: OracleRepo;
const history = generateHistory(seededRandom(77), { commits: 90 });
const culprit = 61;
let serveErr = '';

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), 'kbisect-serve-'));
  repo = await oracleRepo(history, culprit, []);
  const port = await freePort('tcp');
  url = `http://127.0.0.1:${port}`;
  // The oracle scripts live under PROBE_TOOLS_DIR: the sandboxed probes may read it.
  const env: NodeJS.ProcessEnv = { ...process.env, KBISECT_STATE_DIR: state, KBISECT_CACHE_DIR: join(state, 'cache'), KBISECT_PROBE_READ_PATHS: PROBE_TOOLS_DIR };
  delete env.REDIS_URL;
  serve = startServe(port, env);
  serve.stderr?.on('data', (d: Buffer) => (serveErr += d.toString()));
  // Generous: a loaded 2-core machine can take a minute to start Redis, the API and the virtual lab.
  for (let i = 0; i < 900 && !serveErr.includes('serving on'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!serveErr.includes('serving on')) throw new Error(`serve did not start: ${serveErr}`);
}, 120_000);

afterAll(async () => {
  serve.kill('SIGTERM');
  await serve;
  await repo.cleanup();
  await rm(state, { recursive: true, force: true });
});

const cli = (args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 60_000, env: { ...process.env, KBISECT_URL: url, KBISECT_STATE_DIR: state } });

describe('kbisect serve + submit/watch/log/report', () => {
  it('creates a local admin token, says where, and keeps only its hash at rest', async () => {
    expect(serveErr).toContain(join(state, 'admin-token'));
    const token = (await readFile(join(state, 'admin-token'), 'utf8')).trim();
    expect(await readFile(join(state, 'tokens.json'), 'utf8')).not.toContain(token);
    expect((await fetch(`${url}/api/v1/bisections`)).status).toBe(401);
    expect(existsSync(join(state, 'redis', 'appendonlydir'))).toBe(true);
  });

  it("keeps its private Redis behind a generated password: redis-cli without it gets NOAUTH, the files are the owner's alone", async () => {
    const port = /redis redis:\/\/127\.0\.0\.1:(\d+) \(private/.exec(serveErr)?.[1];
    expect(port).toBeDefined();
    const password = (await readFile(join(state, 'redis', 'password'), 'utf8')).trim();
    expect(serveErr).not.toContain(password);
    const anonymous = await execa('redis-cli', ['-p', port!, 'PING'], { reject: false, timeout: 10_000 });
    expect(`${anonymous.stdout}${anonymous.stderr}`).toContain('NOAUTH');
    const keys = await execa('redis-cli', ['-p', port!, 'KEYS', '*'], { reject: false, timeout: 10_000 });
    expect(`${keys.stdout}${keys.stderr}`).toContain('NOAUTH');
    // The password reaches redis-cli by environment, never argv.
    const authed = await execa('redis-cli', ['-p', port!, '--no-auth-warning', 'PING'], { reject: false, timeout: 10_000, env: { ...process.env, REDISCLI_AUTH: password } });
    expect(authed.stdout.trim()).toBe('PONG');
    expect((await stat(state)).mode & 0o777).toBe(0o700);
    for (const file of ['redis/password', 'redis/redis.conf', 'request-key']) expect((await stat(join(state, file))).mode & 0o777).toBe(0o600);
    const aof = join(state, 'redis', 'appendonlydir');
    for (const file of await readdir(aof)) expect((await stat(join(aof, file))).mode & 0o077).toBe(0);
  });

  it('runs the artifact store on its own port, says where, and keeps its build credential for this user alone', async () => {
    const line = /artifact store on (http:\/\/127\.0\.0\.1:\d+)\/store\/v1 \(build credential in (\S+)\)/.exec(serveErr);
    expect(line, serveErr).not.toBeNull();
    const [, storeUrl, tokenFile] = line!;
    expect(tokenFile).toBe(join(state, 'store', 'build-token'));
    expect(storeUrl).not.toBe(url);
    const health = await fetch(`${storeUrl}/store/v1/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, mode: 'store' });
    for (const file of ['store/build-token', 'store/credentials.json']) expect((await stat(join(state, file))).mode & 0o777).toBe(0o600);
    expect((await stat(join(state, 'store'))).mode & 0o777).toBe(0o700);
    // At rest only the token's hash; without it nothing is read, with it the store answers.
    const token = (await readFile(tokenFile!, 'utf8')).trim();
    expect(await readFile(join(state, 'store', 'credentials.json'), 'utf8')).not.toContain(token);
    const absent = `${storeUrl}/store/v1/artifacts/${'0'.repeat(64)}`;
    expect((await fetch(absent)).status).toBe(401);
    expect((await fetch(absent, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('starts the virtual lab and registers its machine in pool virtual', async () => {
    expect(serveErr).toMatch(/virtual lab: vm1 \(BMC 127\.0\.0\.1:\d+\) in pool 'virtual'/);
    const token = (await readFile(join(state, 'admin-token'), 'utf8')).trim();
    const res = await fetch(`${url}/api/v1/machines?pool=virtual`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { items: { id: string; status: { state: string }; bmc: { password: unknown } }[] };
    expect(body.items).toEqual([expect.objectContaining({ id: 'vm1', status: expect.objectContaining({ state: 'ready' }), bmc: expect.objectContaining({ password: { file: join(state, 'virtual-lab', 'bmc-password') } }) })]);
  });

  it('kbisect machines lists, drains and undrains (each with a reason, or undrain without one); a spec with a literal password is refused in one line', async () => {
    const list = await cli(['machines']);
    expect(list.stdout).toMatch(/^vm1 +virtual +ready +idle/m);
    expect((await cli(['machines', 'drain', 'vm1', '--reason', 'fan failure'])).stdout).toBe('vm1 drained');
    expect((await cli(['machines', '--pool', 'virtual'])).stdout).toMatch(/^vm1 +virtual +drained .* - fan failure$/m);
    expect((await cli(['machines', 'undrain', 'vm1'])).stdout).toBe('vm1 ready');
    // Undrain takes a reason too; it goes to the machine's history, which --json shows.
    await cli(['machines', 'drain', 'vm1', '--reason', 'BMC firmware update']);
    expect((await cli(['machines', 'undrain', 'vm1', '--reason', 'firmware 2.1 in'])).stdout).toBe('vm1 ready');
    const listed = JSON.parse((await cli(['machines', '--json'])).stdout) as { id: string; status: { state: string }; recent: { kind: string; action?: string; by?: string; reason?: string }[] }[];
    const vm1 = listed.find((m) => m.id === 'vm1')!;
    expect(vm1.status.state).toBe('ready');
    expect(vm1.recent.slice(0, 4)).toMatchObject([
      { kind: 'service', action: 'undrain', reason: 'firmware 2.1 in' },
      { kind: 'service', action: 'drain', reason: 'BMC firmware update' },
      { kind: 'service', action: 'undrain' },
      { kind: 'service', action: 'drain', reason: 'fan failure' },
    ]);
    expect(vm1.recent[2]!.reason).toBeUndefined();
    const tooLong = await cli(['machines', 'undrain', 'vm1', '--reason', 'x'.repeat(501)]);
    expect(tooLong.exitCode).toBe(1);
    expect(tooLong.stderr).toMatch(/reason/);
    expect(tooLong.stderr.trim().split('\n')).toHaveLength(1);
    const spec = join(state, 'bad-spec.json');
    await writeFile(spec, JSON.stringify({ id: 'lab-9', pool: 'p', mac: '52:54:00:00:00:99', bmc: { host: 'bmc9', user: 'admin', password: 'hunter2-literal' }, console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp' } }));
    const refused = await cli(['machines', 'add', spec]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/bmc\.password must be a reference/);
    expect(refused.stderr).not.toContain('hunter2-literal');
  });

  it('bisects to the culprit with a live watch, then prints a replayable log and a report', async () => {
    const unregistered = await cli(['submit', '--repo', repo.fx.dir, '--good', repo.fx.shas[0]!, '--bad', 'main', '--test-cmd', 'true']);
    expect(unregistered.exitCode).toBe(1);
    expect(unregistered.stderr.trim()).toMatch(/^kbisect: .*repo: '.*' is not a registered tree \(kbisect trees list\)/);
    expect(unregistered.stderr.trim().split('\n')).toHaveLength(1);
    expect((await cli(['trees', 'add', 'oracle', repo.fx.dir])).stdout).toBe(`registered tree oracle: ${repo.fx.dir}`);
    expect((await cli(['trees'])).stdout).toMatch(/^oracle +\/\S+ +\(every submitter\)$/m);
    const sub = await cli(['submit', '--repo', 'oracle', '--good', repo.fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${repo.script}`, '--verify', '--watch']);
    expect(sub.exitCode, `${sub.stderr}\n--- serve:\n${serveErr}`).toBe(0);
    const id = /submitted ([0-9a-f-]{36})/.exec(sub.stderr)?.[1];
    expect(id).toBeDefined();
    expect(sub.stderr).toMatch(/\[#*-*\] checking the bad end: testing [0-9a-f]{12}/);
    expect(sub.stderr).toMatch(/\[#*-*\] step \d+: testing [0-9a-f]{12}.*: \d+ candidates/);
    expect(sub.stderr).toMatch(/\[#*-*\] verifying the culprit: testing [0-9a-f]{12}/);
    expect(sub.stdout).toContain(`The first bad commit is ${repo.fx.shas[culprit]}`);

    const log = await cli(['log', id!]);
    expect(log.exitCode).toBe(0);
    const logFile = join(state, 'bisect.log');
    await writeFile(logFile, `${log.stdout}\n`);
    const replay = await execa('git', ['-C', repo.fx.dir, 'bisect', 'replay', logFile], { reject: false });
    await execa('git', ['-C', repo.fx.dir, 'bisect', 'reset']);
    expect(replay.stdout).toContain(`${repo.fx.shas[culprit]} is the first bad commit`);

    const report = await cli(['report', id!]);
    expect(report.stdout).toContain(`Fixes: ${repo.fx.shas[culprit]!.slice(0, 12)} ("commit ${culprit}")`);
    expect(report.stdout).toMatch(/Verdicts \(\d+ commits tested\)/);
    // --verify: the culprit and its parent tested once more after the answer.
    expect(report.stdout).toContain('Verification:\n  the culprit shows the bug again: yes (1 of 1 run fail)\n  its parent(s) stay clean: yes (0 of 1 run fail)');

    // The mail: this small tree has no get_maintainer.pl, so the culprit's author (also its committer) is asked.
    const mail = await cli(['report', id!, '--mail', '--cc', 'Lee <lee@example.org>']);
    expect(mail.exitCode, mail.stderr).toBe(0);
    expect(mail.stdout).toMatch(/^From \S+@\S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/);
    expect(mail.stdout).toContain('\nTo: Dev <dev@example.org>\nCc: regressions@lists.linux.dev,\n Lee <lee@example.org>\n');
    expect(mail.stdout).toContain(`Subject: [kbisect] regression bisected to: commit ${culprit}\n`);
    expect(mail.stdout.replace(/\n\s+/g, ' ')).toContain('Recipients: the tree has no scripts/get_maintainer.pl; this goes to the author and committer');
    const misuse = await cli(['report', id!, '--cc', 'x@example.org']);
    expect(misuse.exitCode).toBe(2);
    expect(misuse.stderr.trim()).toBe('kbisect report: --cc needs --mail');

    const watch = await cli(['watch', id!]);
    expect(watch.exitCode).toBe(0);
    expect(watch.stderr).toContain('is the first bad commit');
  }, 120_000);

  it('reports API errors as one line', async () => {
    const res = await cli(['report', '00000000-0000-4000-8000-000000000000']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr.trim()).toMatch(/^kbisect: GET .*404 no bisection/);
    const bad = await cli(['submit', '--repo', repo.fx.dir, '--good', '--upload-pack=x', '--bad', 'main', '--test-cmd', 'true']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('kbisect submit does what kbisect run does', () => {
  let bug: BugFileRepo;
  beforeAll(async () => {
    bug = await bugFileRepo('kbisect-serve-parity-');
    // Submitted by its exact path: a registered tree's repo.
    expect((await execa('node', [BIN, 'trees', 'add', 'bug', bug.repo, '--role', 'submit'], { env: { ...process.env, KBISECT_URL: url, KBISECT_STATE_DIR: state } })).stdout).toBe(`registered tree bug: ${bug.repo}`);
  });
  afterAll(async () => {
    await bug.cleanup();
  });
  const long = (args: string[]) => execa('node', [BIN, ...args], { reject: false, timeout: 420_000, env: { ...process.env, KBISECT_URL: url, KBISECT_STATE_DIR: state } });
  type Result = { status: string; culprit?: string; policy?: string; confidence?: number; terms?: string; verdicts: { commit: string; source: string }[] };

  it('--policy bayes with --confidence, --detection and --false-positive finds the culprit of a test that shows the bug every other run', async () => {
    const counter = join(bug.dir, 'counter');
    await writeFile(counter, '0\n');
    const test = `n=$(cat ${counter}); echo $((n + 1)) > ${counter}; if [ -f BUG ] && [ $((n % 2)) -eq 0 ]; then exit 1; fi; exit 0`;
    // A short range and a known detection rate (no calibration runs) keep this to a few dozen runs.
    const sub = await long(['submit', '--repo', bug.repo, '--good', bug.shas[12]!, '--bad', bug.shas[20]!, '--test-cmd', test, '--policy', 'bayes', '--confidence', '0.95', '--detection', '0.5', '--false-positive', '0.01', '--skip-endpoint-check', '--watch', '--json']);
    expect(sub.exitCode, `${sub.stderr}\n--- serve:\n${serveErr}`).toBe(0);
    const result = JSON.parse(sub.stdout) as Result;
    expect(result).toMatchObject({ status: 'found', culprit: bug.shas[17], policy: 'bayes' });
    expect(result.confidence).toBeGreaterThanOrEqual(0.95);
    // Flaky: some commit needed more than one run.
    const perCommit = new Map<string, number>();
    for (const v of result.verdicts) perCommit.set(v.commit, (perCommit.get(v.commit) ?? 0) + 1);
    expect(Math.max(...perCommit.values())).toBeGreaterThan(1);
  }, 450_000);

  it('--fix finds the first fixed commit; kbisect log writes git\'s old/new terms and replays to the same commit', async () => {
    const sub = await long(['submit', '--repo', bug.repo, '--fix', '--bad', bug.shas[18]!, '--good', bug.shas[29]!, '--test-cmd', 'test ! -f BUG', '--watch', '--json']);
    expect(sub.exitCode, `${sub.stderr}\n--- serve:\n${serveErr}`).toBe(0);
    const result = JSON.parse(sub.stdout) as Result & { id: string };
    expect(result).toMatchObject({ status: 'found', culprit: bug.shas[24], terms: 'fix' });
    const log = await cli(['log', result.id]);
    expect(log.stdout).toMatch(/^git bisect start '--term-old=broken' '--term-new=fixed'/);
    const logFile = join(bug.dir, 'fix.log');
    await writeFile(logFile, `${log.stdout}\n`);
    const replay = await execa('git', ['-C', bug.repo, 'bisect', 'replay', logFile], { reject: false });
    await execa('git', ['-C', bug.repo, 'bisect', 'reset']);
    expect(replay.stdout).toContain(`${bug.shas[24]} is the first fixed commit`);
    const report = await cli(['report', result.id]);
    expect(report.stdout).toContain(`The first fixed commit is ${bug.shas[24]}`);
    expect(report.stdout).not.toContain('Fixes:');
  }, 300_000);

  it('--import-log carries on from a bisection begun by hand, on the ends its start names (no --good/--bad, as run takes it)', async () => {
    // By hand: bad at 20, good at 10, then the maintainer hands over.
    const g = (args: string[]) => execa('git', ['-C', bug.repo, 'bisect', ...args]);
    await g(['start', bug.shas[23]!, bug.shas[0]!]);
    await g(['bad', bug.shas[20]!]);
    await g(['good', bug.shas[10]!]);
    const handLog = join(bug.dir, 'hand.log');
    await writeFile(handLog, (await g(['log'])).stdout);
    await g(['reset']);
    const sub = await long(['submit', '--repo', bug.repo, '--test-cmd', 'test ! -f BUG', '--import-log', handLog, '--watch', '--json']);
    expect(sub.exitCode, `${sub.stderr}\n--- serve:\n${serveErr}`).toBe(0);
    const result = JSON.parse(sub.stdout) as Result & { good: string[]; bad: string };
    // The service took the range from the log's start (git's resolved shas) and stored it with the request.
    expect(result).toMatchObject({ status: 'found', culprit: bug.shas[17], good: [bug.shas[0]], bad: bug.shas[23] });
    expect(result.verdicts.filter((v) => v.source === 'log').map((v) => v.commit)).toEqual([bug.shas[20], bug.shas[10]]);
    // Every commit the service bisected lies between the hand-marked ends.
    const inside = new Set(bug.shas.slice(11, 20));
    const probed = result.verdicts.filter((v) => v.source === 'probe' && v.commit !== bug.shas[23] && v.commit !== bug.shas[0]);
    expect(probed.length).toBeGreaterThan(0);
    for (const v of probed) expect(inside.has(v.commit), v.commit).toBe(true);
  }, 300_000);

  it('names the flag when a policy option is wrong, and refuses a log that is not one', async () => {
    const base = ['submit', '--repo', bug.repo, '--good', bug.shas[0]!, '--bad', bug.shas[23]!, '--test-cmd', 'true'];
    const conf = await cli([...base, '--policy', 'bayes', '--confidence', '2']);
    expect(conf.exitCode).toBe(2);
    expect(conf.stderr.trim()).toMatch(/^kbisect submit: --confidence must be between/);
    const orphan = await cli([...base, '--bad-after', '3']);
    expect(orphan.stderr.trim()).toBe('kbisect submit: --bad-after needs --policy repeat');
    const notLog = join(bug.dir, 'not.log');
    await writeFile(notLog, 'git bisect start\nrm -rf /\n');
    const refused = await cli([...base, '--import-log', notLog]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^kbisect submit: --import-log: line 2: not a 'git bisect' command$/);
    // A log begun with a bare `git bisect start` names its ends only as marks: the API names the end it lacks.
    const bare = join(bug.dir, 'bare.log');
    await writeFile(bare, `git bisect start\ngit bisect bad ${bug.shas[20]}\n`);
    const noEnds = await cli(['submit', '--repo', bug.repo, '--test-cmd', 'true', '--import-log', bare]);
    expect(noEnds.exitCode).not.toBe(0);
    expect(noEnds.stderr.trim().split('\n')).toHaveLength(1);
    expect(noEnds.stderr).toMatch(/bad: required: the imported log's start line names no bad end/);
    const noGood = await cli(['submit', '--repo', bug.repo, '--bad', bug.shas[23]!, '--test-cmd', 'true']);
    expect(noGood.stderr.trim()).toBe('kbisect submit: --good is required (repeat it for several good commits)');
  });
});
