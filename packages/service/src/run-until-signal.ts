/**
 * Keeps a service process up until SIGTERM or SIGINT, then closes it once and
 * exits: the API and every worker role shut down the same way.
 */
export function closeOnSignal(close: () => Promise<void>, onError: (err: unknown) => void): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        onError(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
