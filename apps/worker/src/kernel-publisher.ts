import { basename } from 'node:path';
import type { StoreClient } from '@kbisect/artifact-store';
import type { CachedBuild } from '@kbisect/kbuild';

/** Where a build host puts a built kernel so a lab host can fetch it. */
export interface KernelPublisher {
  /** Makes the build available under its artifact key, held for the bisection until it ends; the key. */
  publish(bisectionId: string, artifacts: CachedBuild): Promise<string>;
}

/**
 * The artifact store as the place: upload unless the store already has the
 * key (HEAD — another bisection, or an earlier attempt, put it there), then
 * pin it for the bisection so eviction leaves it until the orchestrator
 * releases the bisection's pins at its end.
 */
export function storePublisher(client: StoreClient): KernelPublisher {
  return {
    async publish(bisectionId, artifacts) {
      const key = artifacts.key;
      if (!(await client.has(key))) {
        const files = [artifacts.bzImage, artifacts.config, artifacts.systemMap, artifacts.log, ...(artifacts.modules ? [artifacts.modules] : [])]
          .map((path) => ({ name: basename(path), path }));
        await client.upload(key, files);
      }
      await client.pin(bisectionId, key);
      return key;
    },
  };
}
