import type { ArtifactDisk } from './artifact-disk.js';
import type { Manifest } from './manifest.js';
import type { StoreClient } from './store-client.js';

/**
 * Brings artifacts from a store into a local ArtifactDisk, one download per
 * key however many ask at once: the lab worker's own cache, and the store in
 * pull-through mode. What arrives is checked file by file against the
 * manifest (StoreClient.pull); a bad copy is retried there, never kept.
 */
export class ArtifactPuller {
  private readonly inFlight = new Map<string, Promise<Manifest>>();

  constructor(private readonly disk: ArtifactDisk, private readonly client: StoreClient, private readonly keep: () => ReadonlySet<string>) {}

  /** The artifact's manifest once every file is here; `verify` hashes a copy already here again before trusting it. */
  async ensure(key: string, opts: { verify?: boolean } = {}): Promise<Manifest> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const job = this.bring(key, opts.verify ?? false).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, job);
    return job;
  }

  private async bring(key: string, verify: boolean): Promise<Manifest> {
    const here = await this.disk.manifest(key);
    if (here && !verify) return here;
    if (here) {
      try {
        return await this.disk.verify(key);
      } catch {
        // Damaged on this disk since it arrived: drop it and fetch it again.
        await this.disk.remove(key);
      }
    }
    return this.client.pull(key, this.disk, this.keep());
  }
}
