import { h, replace } from './dom.js';
import { errorNotice } from './error-notice.js';
import { go, onNavigate } from './navigate.js';
import type { PageContext } from './page-context.js';
import { bisectionPage } from './pages/bisection-page.js';
import { listPage } from './pages/list-page.js';
import { machinesPage } from './pages/machines-page.js';
import { queuesPage } from './pages/queues-page.js';
import { signInPage } from './pages/sign-in-page.js';
import { submitPage } from './pages/submit-page.js';
import { loadSession, may, session, signOut } from './session.js';
import { BISECTION_ID } from './service-values.js';

/** A bisection's page: /b/<id>. */
const BISECTION_PATH = new RegExp(`^/b/(${BISECTION_ID})$`);
const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;
let leaving: (() => void)[] = [];

function drawChrome(path: string): void {
  const link = (href: string, text: string) => h('a', { href, 'data-nav': true, ...(path === href ? { 'aria-current': 'page' } : {}) }, text);
  const s = session();
  replace(nav, ...(s ? [link('/', 'Bisections'), may('submit') ? link('/submit', 'Submit') : null, link('/machines', 'Machines'), link('/queues', 'Queues')] : []));
  replace(who, ...(s ? [h('span', { class: 'muted' }, `${s.name} (${s.role})`), h('button', { type: 'button', onclick: () => void signOut().then(() => go('/signin')) }, 'Sign out')] : []));
}

async function render(): Promise<void> {
  for (const cleanup of leaving) cleanup();
  leaving = [];
  const ctx: PageContext = { main, onLeave: (c) => leaving.push(c) };
  const path = location.pathname;
  try {
    if (!session() && path !== '/signin') {
      await loadSession();
      if (!session()) return go(`/signin?next=${encodeURIComponent(path + location.search)}`);
    }
    drawChrome(path);
    replace(main, h('p', { class: 'muted' }, 'Loading…'));
    const bisection = BISECTION_PATH.exec(path);
    if (path === '/signin') await signInPage(ctx);
    else if (path === '/') await listPage(ctx);
    else if (bisection) await bisectionPage(ctx, bisection[1]!);
    else if (path === '/machines') await machinesPage(ctx);
    else if (path === '/queues') await queuesPage(ctx);
    else if (path === '/submit') await submitPage(ctx);
    else replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/', 'data-nav': true }, 'Back to the bisections')));
  } catch (err) {
    replace(main, errorNotice(err));
  }
}

onNavigate(() => void render());
void render();
