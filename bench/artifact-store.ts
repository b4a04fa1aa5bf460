/**
 * bench/artifact-store — what the HTTP artifact store costs a kernel on its
 * way from a build host to a lab host, against copying it on one disk.
 *
 * Input: --mb M (size of the bzImage-like file, default 12: a 6.1 bzImage
 *   with the QEMU config is ~10-12 MB), --samples K (default 7).
 * Output: medians over K of: the baseline, a local copy (copyFile) of the
 *   file; the upload (sha256 of the source, PUT streamed and hashed by the
 *   store, commit re-hashing it); the download into a lab cache (hashed as
 *   it arrives, committed); the lab's check before a boot (re-hash of its
 *   copy); and a HEAD (what a build that the store already has costs). Each
 *   with its ratio to the baseline. Store and client on loopback, one process.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactDisk, StoreClient } from '@kbisect/artifact-store';
import { BUILD_TOKEN, LAB_TOKEN, startTestStore } from '../packages/artifact-store/src/store.test-support.js';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const mb = numberFlag('mb', 12);
const samples = numberFlag('samples', 7);
const dir = await mkdtemp(join(tmpdir(), 'kbisect-bench-store-'));
const t = await startTestStore({ limitBytes: 64 * 1024 ** 3 });
const file = join(dir, 'bzImage');
await writeFile(file, randomBytes(mb * 1024 * 1024));
const build = new StoreClient(t.url, BUILD_TOKEN);
const lab = new StoreClient(t.url, LAB_TOKEN);
const times: Record<'copy' | 'upload' | 'download' | 'verify' | 'head', number[]> = { copy: [], upload: [], download: [], verify: [], head: [] };
const timed = async (into: number[], fn: () => Promise<unknown>): Promise<void> => {
  const start = process.hrtime.bigint();
  await fn();
  into.push(Number(process.hrtime.bigint() - start) / 1e6);
};
for (let i = 0; i < samples; i++) {
  const key = randomBytes(32).toString('hex');
  await timed(times.copy, () => copyFile(file, join(dir, `copy-${i}`)));
  await timed(times.upload, () => build.upload(key, [{ name: 'bzImage', path: file }]));
  await timed(times.head, () => build.has(key));
  const disk = await ArtifactDisk.open(join(dir, `lab-${i}`), 64 * 1024 ** 3);
  await timed(times.download, () => lab.pull(key, disk, new Set()));
  await timed(times.verify, () => disk.verify(key));
}
const base = median(times.copy);
console.log(`artifact store, ${mb} MB file, ${samples} samples, medians (load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}):`);
for (const [name, xs] of Object.entries(times)) console.log(`  ${name.padEnd(9)} ${median(xs).toFixed(1).padStart(8)} ms  ${(median(xs) / base).toFixed(2)}x the local copy`);
await t.close();
await rm(dir, { recursive: true, force: true });
