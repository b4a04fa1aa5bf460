/** Prometheus text exposition of what the service knows, kept pure for testing. */
export function renderMetrics(input: {
  queues: readonly { role: string; counts: Record<string, number> }[];
  statuses: Record<string, number>;
  steps: Record<string, string>;
  buckets: readonly number[];
}): string {
  const out: string[] = [];
  out.push('# HELP kbisect_queue_jobs Jobs per queue and state.', '# TYPE kbisect_queue_jobs gauge');
  for (const q of input.queues) for (const [state, n] of Object.entries(q.counts)) out.push(`kbisect_queue_jobs{queue="${q.role}",state="${state}"} ${n}`);
  out.push('# HELP kbisect_bisections Bisections by status.', '# TYPE kbisect_bisections gauge');
  for (const [status, n] of Object.entries(input.statuses)) out.push(`kbisect_bisections{status="${status}"} ${n}`);
  out.push('# HELP kbisect_step_duration_seconds Time to test one commit.', '# TYPE kbisect_step_duration_seconds histogram');
  for (const b of input.buckets) out.push(`kbisect_step_duration_seconds_bucket{le="${b}"} ${Number(input.steps[`bucket:${b}`] ?? 0)}`);
  out.push(`kbisect_step_duration_seconds_bucket{le="+Inf"} ${Number(input.steps['bucket:+Inf'] ?? 0)}`);
  out.push(`kbisect_step_duration_seconds_sum ${Number(input.steps.sum ?? 0)}`);
  out.push(`kbisect_step_duration_seconds_count ${Number(input.steps.count ?? 0)}`);
  return `${out.join('\n')}\n`;
}
