/** A one-line progress bar: done steps against the estimate of steps left. */
export function progressBar(tested: number, stepsLeft: number, width = 24): string {
  const total = Math.max(1, tested + stepsLeft + 1);
  const filled = Math.min(width, Math.round((tested / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 90) return `, ETA ${seconds}s`;
  if (seconds < 5400) return `, ETA ${Math.round(seconds / 60)}m`;
  return `, ETA ${(seconds / 3600).toFixed(1)}h`;
}
