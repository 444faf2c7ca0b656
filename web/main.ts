/**
 * The dashboard shell: hash routes (`#/overview`, `#/units`, ...), one module per page in ./pages/, the current
 * experiment in the header, and the login form whenever an `/api` call answers 401.
 */
import { currentExperiment, HttpError, send, setUnauthorizedHandler, type Experiment } from './api.js';
import { clear, h, toast } from './dom.js';
import { renderOverview } from './pages/overview.js';
import { renderUnits } from './pages/units.js';
import { renderExperiments } from './pages/experiments.js';
import { renderLogs } from './pages/logs.js';
import { renderExport } from './pages/export.js';
import { renderProfiles } from './pages/profiles.js';
import { renderAnalytics } from './pages/analytics.js';
import { renderInventory } from './pages/inventory.js';

export interface PageContext {
  exp: Experiment | null;
  /** Re-render the current route (after the experiment changes). */
  reload: () => void;
}
export type Page = (root: HTMLElement, ctx: PageContext) => Promise<(() => void) | void>;

const PAGES: Record<string, { title: string; render: Page }> = {
  overview: { title: 'Overview', render: renderOverview },
  units: { title: 'Units', render: renderUnits },
  experiments: { title: 'Experiments', render: renderExperiments },
  logs: { title: 'Logs', render: renderLogs },
  export: { title: 'Export', render: renderExport },
  profiles: { title: 'Profiles', render: renderProfiles },
  analytics: { title: 'Analytics', render: renderAnalytics },
  inventory: { title: 'Inventory and config', render: renderInventory },
};

const main = document.getElementById('main') as HTMLElement;
let cleanup: (() => void) | void = undefined;
let generation = 0;
let loginShown = false;

function routeName(): string {
  const r = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return r in PAGES ? r : 'overview';
}

async function route(): Promise<void> {
  const gen = ++generation;
  if (cleanup) cleanup();
  cleanup = undefined;
  loginShown = false;
  const name = routeName();
  const page = PAGES[name]!;
  document.title = `${page.title} · Colony`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = h('section', { class: `page page-${name}`, 'aria-labelledby': 'page-title' }, h('h1', { id: 'page-title' }, page.title));
  clear(main, root);
  try {
    const exp = await currentExperiment();
    if (gen !== generation) return;
    const label = document.getElementById('current-exp');
    if (label) label.textContent = exp ? `Experiment: ${exp.experiment}` : 'No experiment';
    const c = await page.render(root, { exp, reload: () => void route() });
    if (gen !== generation) {
      if (c) c();
      return;
    }
    cleanup = c;
    root.dataset.ready = '1';
  } catch (e) {
    if (gen !== generation || loginShown) return;
    root.append(h('p', { class: 'error', role: 'alert' }, `Could not load: ${(e as Error).message}`));
  }
}

function showLogin(): void {
  if (loginShown) return;
  loginShown = true;
  generation++;
  if (cleanup) cleanup();
  cleanup = undefined;
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to Colony'),
    h('label', { for: 'login-user' }, 'Username'),
    user,
    h('label', { for: 'login-pass' }, 'Password'),
    pass,
    h('button', { type: 'submit' }, 'Sign in'),
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    send('POST', '/api/auth/login', { username: user.value, password: pass.value }).then(
      () => {
        loginShown = false;
        toast(`Signed in as ${user.value}`);
        void route();
      },
      (e: unknown) => {
        msg.textContent = e instanceof HttpError ? e.message : 'Sign-in failed.';
        pass.select();
      },
    );
  });
  clear(main, form);
  user.focus();
}

setUnauthorizedHandler(showLogin);
window.addEventListener('hashchange', () => void route());
void route();
