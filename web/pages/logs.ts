/** Logs of the current experiment: pages of 100, newest first, with a minimum level. */
import { enc, getJson } from '../api.js';
import { fmtTime, h } from '../dom.js';
import type { Page } from '../main.js';

interface LogRow {
  timestamp: string;
  level: string;
  pioreactor_unit: string;
  message: string;
  task: string;
}

const LEVELS = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR'];
const PAGE = 100;

export const renderLogs: Page = async (root, ctx) => {
  const e = ctx.exp?.experiment;
  const level = h('select', { id: 'log-level' }, ...LEVELS.map((l) => h('option', { value: l, selected: l === (localStorage.getItem('colony.logLevel') ?? 'INFO') }, l)));
  const prev = h('button', { type: 'button', id: 'logs-newer' }, 'Newer');
  const next = h('button', { type: 'button', id: 'logs-older' }, 'Older');
  const where = h('span', { class: 'muted', 'aria-live': 'polite' });
  const body = h('tbody', {});
  root.append(
    h('div', { class: 'toolbar' }, h('label', { for: 'log-level' }, 'Minimum level'), level, prev, next, where),
    h(
      'table',
      { class: 'list logs', id: 'logs' },
      h('caption', {}, e ? `Logs of ${e}` : 'All logs'),
      h('thead', {}, h('tr', {}, ...['Time', 'Unit', 'Level', 'Task', 'Message'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    ),
  );
  let skip = 0;
  const load = async () => {
    const base = e ? `/api/experiments/${enc(e)}/logs` : '/api/logs';
    const rows = await getJson<LogRow[]>(`${base}?min_level=${enc(level.value)}&skip=${skip}`);
    body.replaceChildren(
      ...rows.map((r) =>
        h('tr', { 'data-level': r.level }, h('td', {}, fmtTime(r.timestamp)), h('td', {}, r.pioreactor_unit), h('td', { class: `lvl lvl-${r.level.toLowerCase()}` }, r.level), h('td', {}, r.task), h('td', {}, r.message)),
      ),
    );
    if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: 5 }, 'No log lines at this level.')));
    prev.disabled = skip === 0;
    next.disabled = rows.length < PAGE;
    where.textContent = rows.length ? `Rows ${skip + 1}–${skip + rows.length}` : '';
  };
  level.addEventListener('change', () => {
    localStorage.setItem('colony.logLevel', level.value);
    skip = 0;
    void load();
  });
  prev.addEventListener('click', () => {
    skip = Math.max(0, skip - PAGE);
    void load();
  });
  next.addEventListener('click', () => {
    skip += PAGE;
    void load();
  });
  await load();
};
