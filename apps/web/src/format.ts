import { isFullSha } from './service-values.js';

/** Small display helpers, pure. */
export const shortSha = (sha: string): string => sha.slice(0, 12);

/** A ref as typed, a full sha shortened: ranges stay readable at 800 px. */
export const shortRef = (ref: string): string => (isFullSha(ref) ? ref.slice(0, 12) : ref);

/** "1 line", "3 lines": a count with its noun, plural unless one. */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** good..bad as `git log` would write it. */
export const rangeText = (good: readonly string[], bad: string): string => `${good.map(shortRef).join(' ')}..${shortRef(bad)}`;

export function duration(fromIso: string, toIso: string | undefined, now: Date = new Date()): string {
  const from = Date.parse(fromIso);
  if (Number.isNaN(from)) return '';
  const to = toIso ? Date.parse(toIso) : now.getTime();
  const s = Math.max(0, Math.round((to - from) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19);
}

export const percent = (p: number | undefined): string => (p === undefined ? '' : `${(p * 100).toFixed(p > 0.999 ? 2 : 1)}%`);

/** A verdict's mark in text, so it never depends on colour alone. */
export const VERDICT_MARK: Readonly<Record<string, string>> = { good: '✓ good', bad: '✗ bad', skip: '⊘ skip' };

/** A step part's time: "42 s", "3m 05s"; empty when unknown. */
export function seconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
}
