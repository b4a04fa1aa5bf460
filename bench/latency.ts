/** Closed-loop load for the API benches: `concurrency` clients calling for `seconds`; the latencies' median and p99. */
export interface LoadResult {
  readonly count: number;
  readonly errors: number;
  readonly rate: number;
  readonly median: number;
  readonly p99: number;
}

export async function runLoad(call: (i: number) => Promise<Response>, seconds: number, concurrency: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let errors = 0;
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await call(i++);
      await res.arrayBuffer();
      if (res.status >= 400) errors++;
      latencies.push(performance.now() - t0);
    }
  }));
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { count: latencies.length, errors, rate: latencies.length / seconds, median: q(0.5), p99: q(0.99) };
}
