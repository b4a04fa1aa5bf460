import { ArtifactPuller, StoreError, type ArtifactDisk, type StoreClient } from '@kbisect/artifact-store';
import { ArtifactMissingError } from './artifact-missing-error.js';
import { InfrastructureError } from './infrastructure-error.js';

/** A built kernel on this lab host's disk, held while a boot uses it. */
export interface LocalKernel {
  readonly bzImage: string;
  readonly modules?: string;
  /** The boot is done with the files: eviction may take them. */
  release(): void;
}

/** Brings a kernel by artifact key from wherever builds are published to this host. */
export interface KernelFetcher {
  /** Throws ArtifactMissingError when the store does not have the key (any more). */
  fetch(key: string): Promise<LocalKernel>;
}

/**
 * The lab worker's side of the artifact store: downloads into its own cache
 * dir (one download per key however many boots want it), every file checked
 * against the manifest's sha256 — a copy already here is hashed again before
 * each boot — and a kernel being booted is never evicted from under it.
 */
export function storeFetcher(client: StoreClient, disk: ArtifactDisk): KernelFetcher {
  const inUse = new Map<string, number>();
  const puller = new ArtifactPuller(disk, client, () => new Set(inUse.keys()));
  return {
    async fetch(key) {
      inUse.set(key, (inUse.get(key) ?? 0) + 1);
      const release = (): void => {
        const n = (inUse.get(key) ?? 1) - 1;
        if (n > 0) inUse.set(key, n);
        else inUse.delete(key);
      };
      try {
        const manifest = await puller.ensure(key, { verify: true }).catch((err: unknown) => {
          // Gone from the store (or a file of it evicted mid-download): a rebuild, not a retry, brings it back.
          if (err instanceof StoreError && err.code === 'KBISECT_ERR_STORE_NOT_FOUND') throw new ArtifactMissingError(key, `kernel ${key.slice(0, 12)} is no longer in the artifact store: ${err.message}`);
          throw err;
        });
        const has = (name: string): boolean => manifest.files.some((f) => f.name === name);
        if (!has('bzImage')) throw new InfrastructureError(`artifact ${key} in the store has no bzImage`);
        return { bzImage: disk.filePath(key, 'bzImage'), ...(has('modules.tar.gz') ? { modules: disk.filePath(key, 'modules.tar.gz') } : {}), release };
      } catch (err) {
        release();
        throw err;
      }
    },
  };
}
