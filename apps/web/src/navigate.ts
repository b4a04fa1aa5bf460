/** In-page navigation: links carry data-nav, the router re-renders without a reload. */
type Render = () => void;
let render: Render = () => undefined;

export function onNavigate(r: Render): void {
  render = r;
  window.addEventListener('popstate', () => render());
  document.addEventListener('click', (event) => {
    const a = (event.target as Element | null)?.closest('a[data-nav]');
    if (!a || !(a instanceof HTMLAnchorElement) || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    go(a.getAttribute('href') ?? '/');
  });
}

export function go(path: string): void {
  history.pushState(null, '', path);
  render();
}
