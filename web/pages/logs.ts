/**
 * Logs of the current experiment: pages of 100, newest first, with a minimum level and a unit filter, and a live
 * tail: while on the newest page, new lines arrive over the leader's live stream (`pioreactor/+/{exp}/logs/#`)
 * and are added on top without a reload.
 */
import { enc, getJson } from '../api.js';
import { fmtTime, h } from '../dom.js';
import { onLiveStatus, subscribe } from '../live.js';
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

/** A log record from its topic (`pioreactor/{unit}/{exp}/logs/{task}/{level}`) and JSON payload, or null. */
function fromMqtt(topic: string, payload: string): LogRow | null {
  const p = topic.split('/');
  if (p.length !== 6 || p[3] !== 'logs') return null;
  try {
    const b = JSON.parse(payload) as { message?: unknown; timestamp?: unknown; level?: unknown; task?: unknown };
    if (typeof b.message !== 'string') return null;
    return {
      timestamp: typeof b.timestamp === 'string' ? b.timestamp : new Date().toISOString(),
      level: (typeof b.level === 'string' ? b.level : p[5]!).toUpperCase(),
      pioreactor_unit: p[1]!,
      message: b.message,
      task: typeof b.task === 'string' ? b.task : p[4]!,
    };
  } catch {
    return null;
  }
}

const row = (r: LogRow) =>
  h('tr', { 'data-level': r.level }, h('td', {}, fmtTime(r.timestamp)), h('td', {}, r.pioreactor_unit), h('td', { class: `lvl lvl-${r.level.toLowerCase()}` }, r.level), h('td', {}, r.task), h('td', {}, r.message));

export const renderLogs: Page = async (root, ctx) => {
  const e = ctx.exp?.experiment;
  const units = e ? (await getJson<Array<{ pioreactor_unit: string }>>(`/api/experiments/${enc(e)}/workers`)).map((w) => w.pioreactor_unit) : [];
  const level = h('select', { id: 'log-level' }, ...LEVELS.map((l) => h('option', { value: l, selected: l === (localStorage.getItem('colony.logLevel') ?? 'INFO') }, l)));
  const unit = h('select', { id: 'log-unit' }, h('option', { value: '' }, 'All units'), ...units.map((u) => h('option', { value: u }, u)));
  const live = h('input', { type: 'checkbox', id: 'log-live', checked: true });
  const liveState = h('span', { class: 'muted', id: 'log-live-state' });
  const prev = h('button', { type: 'button', id: 'logs-newer' }, 'Newer');
  const next = h('button', { type: 'button', id: 'logs-older' }, 'Older');
  const where = h('span', { class: 'muted', 'aria-live': 'polite' });
  const body = h('tbody', { 'aria-live': 'off' });
  root.append(
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'log-level' }, 'Minimum level'),
      level,
      h('label', { for: 'log-unit' }, 'Unit'),
      unit,
      h('label', { for: 'log-live' }, live, ' Live'),
      liveState,
      prev,
      next,
      where,
    ),
    h(
      'table',
      { class: 'list logs', id: 'logs' },
      h('caption', {}, e ? `Logs of ${e}` : 'All logs'),
      h('thead', {}, h('tr', {}, ...['Time', 'Unit', 'Level', 'Task', 'Message'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    ),
  );
  let skip = 0;
  let shown = 0;
  const load = async () => {
    const base = e ? (unit.value ? `/api/workers/${enc(unit.value)}/experiments/${enc(e)}/logs` : `/api/experiments/${enc(e)}/logs`) : '/api/logs';
    const rows = await getJson<LogRow[]>(`${base}?min_level=${enc(level.value)}&skip=${skip}`);
    body.replaceChildren(...rows.map(row));
    shown = rows.length;
    if (rows.length === 0) body.append(h('tr', { class: 'empty' }, h('td', { colspan: 5 }, 'No log lines at this level.')));
    prev.disabled = skip === 0;
    next.disabled = rows.length < PAGE;
    where.textContent = rows.length ? `Rows ${skip + 1}–${skip + rows.length}` : '';
  };
  const reload = () => {
    skip = 0;
    void load();
  };
  level.addEventListener('change', () => {
    localStorage.setItem('colony.logLevel', level.value);
    reload();
  });
  unit.addEventListener('change', reload);
  prev.addEventListener('click', () => {
    skip = Math.max(0, skip - PAGE);
    void load();
  });
  next.addEventListener('click', () => {
    skip += PAGE;
    void load();
  });
  await load();

  // Live tail: only on the newest page, with the filters applied to each new line.
  const onLine = (topic: string, payload: string, retained: boolean) => {
    if (retained || !live.checked || skip !== 0) return;
    const r = fromMqtt(topic, payload);
    if (!r) return;
    if (LEVELS.indexOf(r.level) < LEVELS.indexOf(level.value)) return;
    if (unit.value && r.pioreactor_unit !== unit.value) return;
    body.querySelector('tr.empty')?.remove();
    body.prepend(row(r));
    shown = Math.min(PAGE, shown + 1);
    while (body.rows.length > PAGE) body.lastElementChild?.remove();
    where.textContent = `Rows 1–${shown}`;
  };
  const offs = [subscribe(e ? `pioreactor/+/${e}/logs/#` : 'pioreactor/+/+/logs/#', onLine)];
  offs.push(onLiveStatus((s) => (liveState.textContent = s === 'open' ? '' : `(live stream ${s})`)));
  live.addEventListener('change', () => live.checked && reload());
  return () => offs.forEach((off) => off());
};
