/**
 * The artifact store no longer has a kernel the build published (evicted
 * after its pins lapsed, or its disk was lost). Fetching again would fail the
 * same way: the lab job has the kernel built and published again instead.
 */
export class ArtifactMissingError extends Error {
  readonly code = 'KBISECT_ERR_ARTIFACT_MISSING';
  /** Retried when nothing can rebuild it (BullMQ, then the step fails as an infrastructure problem). */
  readonly category = 'infrastructure' as const;
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ArtifactMissingError';
  }
}
