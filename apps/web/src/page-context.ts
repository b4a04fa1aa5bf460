/**
 * What a page gets: where to draw, and a way to register cleanup (timers,
 * event streams) that runs when the user navigates away.
 */
export interface PageContext {
  readonly main: HTMLElement;
  onLeave(cleanup: () => void): void;
}
