/** "1 step", "3 steps": a count with its noun, plural unless one (git's Q_() does the same). */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
