/**
 * Analytics (issue 11): the batch catalogue (every (experiment, unit) run of the cluster, and every imported
 * CSV / Excel run) with search and filters; one batch's phases, metrics and score (./analytics-batch.ts); a
 * golden profile of the compared batches drawn over the runs (./analytics-golden.ts); the live scores of the
 * current experiment's runs against a chosen golden profile (./analytics-live.ts). The shapes are those of
 * leader/batches/service.ts, over `/api/analytics` (leader/api/analytics.ts) and the running scores'
 * `/api/experiments/{exp}/golden_profile` and `/scores` (leader/api/golden-scores.ts).
 */
import { getJson, HttpError, send } from '../api.js';
import { fmtTime, h, toast } from '../dom.js';
import type { Page } from '../main.js';
import { batchView } from './analytics-batch.js';
import { AnalyticsState, LIFECYCLES, type Batch } from './analytics-data.js';
import { goldenView } from './analytics-golden.js';
import { liveView } from './analytics-live.js';

interface ImportResult {
  batch_id: string;
  batch_name: string;
  rows_imported: number;
  warnings: string[];
}

/** Every word of the search appears in the batch's name, id, strain, media, operator or tags. */
export function matches(b: Batch, search: string, source: string, lifecycle: string): boolean {
  if (source && b.source !== source) return false;
  if (lifecycle && b.lifecycle !== lifecycle) return false;
  const hay = [b.name, b.batch_id, b.strain ?? '', b.media ?? '', b.operator ?? '', ...b.tags].join('\n').toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

function base64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export const renderAnalytics: Page = async (root, ctx) => {
  const state = new AnalyticsState();
  const detail = batchView(state);
  const golden = goldenView(state);
  const live = liveView(state, ctx.exp);

  const search = h('input', { id: 'batch-search', type: 'search', placeholder: 'name, strain, media, tag…', autocomplete: 'off' });
  const source = h('select', { id: 'batch-source' }, h('option', { value: '' }, 'All'), h('option', { value: 'cluster' }, 'Live cluster runs'), h('option', { value: 'import' }, 'Imported'));
  const lifecycle = h('select', { id: 'batch-lifecycle' }, h('option', { value: '' }, 'All'), ...LIFECYCLES.map((l) => h('option', { value: l }, l)));
  const reload = h('button', { type: 'button', id: 'batch-reload' }, 'Refresh');
  const count = h('p', { class: 'muted', id: 'batch-count', 'aria-live': 'polite' });
  const rows = h('tbody');
  let selected: string | null = null;

  const renderRows = () => {
    const shown = state.batches.filter((b) => matches(b, search.value, source.value, lifecycle.value));
    rows.replaceChildren(
      ...shown.map((b) => {
        const tick = h('input', { type: 'checkbox', id: `compare-${b.batch_id}`, checked: state.compare.has(b.batch_id), 'aria-label': `Compare ${b.name}` });
        tick.addEventListener('change', () => {
          if (tick.checked) state.compare.add(b.batch_id);
          else state.compare.delete(b.batch_id);
          state.changed();
        });
        const pick = h('button', { type: 'button', class: 'link', 'aria-pressed': b.batch_id === selected ? 'true' : 'false' }, b.name);
        pick.addEventListener('click', () => select(b));
        return h(
          'tr',
          { 'data-batch-id': b.batch_id, 'data-source': b.source, class: b.batch_id === selected ? 'an-selected' : null },
          h('td', {}, tick),
          h('th', { scope: 'row' }, pick),
          h('td', {}, b.source === 'cluster' ? 'Live cluster run' : 'Imported'),
          h('td', {}, b.lifecycle),
          h('td', {}, b.strain ?? ''),
          h('td', {}, b.media ?? ''),
          h('td', {}, b.tags.join(', ')),
          h('td', {}, b.started_at ? fmtTime(b.started_at) : ''),
        );
      }),
    );
    if (shown.length === 0) {
      rows.append(h('tr', {}, h('td', { colspan: 8 }, state.batches.length ? 'No batch matches.' : 'No batches yet: a run appears once a unit is assigned to an experiment, and imports appear below.')));
    }
    count.textContent = `${shown.length} of ${state.batches.length} batches shown.`;
  };

  /** Marks the ticks and the selection without re-rendering (which would drop the keyboard focus). */
  const syncRows = () => {
    for (const tr of rows.querySelectorAll<HTMLTableRowElement>('tr[data-batch-id]')) {
      const id = tr.dataset.batchId!;
      tr.classList.toggle('an-selected', id === selected);
      tr.querySelector('button')?.setAttribute('aria-pressed', String(id === selected));
      const tick = tr.querySelector<HTMLInputElement>('input[type="checkbox"]');
      if (tick) tick.checked = state.compare.has(id);
    }
  };

  const select = (b: Batch) => {
    selected = b.batch_id;
    syncRows();
    void detail.show(b);
    document.getElementById('batch-title')?.focus();
    detail.el.scrollIntoView({ block: 'start' });
  };

  /** The catalogue and the golden profiles. */
  const load = async () => {
    [state.batches] = await Promise.all([getJson<Batch[]>('/api/analytics/batches'), state.loadProfiles()]);
    for (const id of [...state.compare]) if (!state.batches.some((b) => b.batch_id === id)) state.compare.delete(id);
    renderRows();
    state.changed();
  };

  for (const c of [search, source, lifecycle]) c.addEventListener('input', renderRows);
  reload.addEventListener('click', () => {
    load().catch((e: unknown) => {
      if (!(e instanceof HttpError && e.status === 401)) toast(`Batches: ${(e as Error).message}`, true);
    });
  });
  state.onChange(() => {
    syncRows();
    detail.refresh();
    golden.refresh();
    live.refresh();
  });

  root.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'catalogue-title' },
      h('h2', { id: 'catalogue-title' }, 'Batch catalogue'),
      h(
        'div',
        { class: 'toolbar', role: 'search' },
        h('label', { for: 'batch-search' }, 'Search'),
        search,
        h('label', { for: 'batch-source' }, 'Source'),
        source,
        h('label', { for: 'batch-lifecycle' }, 'Lifecycle'),
        lifecycle,
        reload,
      ),
      count,
      h(
        'div',
        { class: 'an-scroll' },
        h(
          'table',
          { class: 'list', id: 'batches' },
          h('thead', {}, h('tr', {}, ...['Compare', 'Batch', 'Source', 'Lifecycle', 'Strain', 'Media', 'Tags', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
          rows,
        ),
      ),
      importForm(load),
    ),
    detail.el,
    golden.el,
    live.el,
  );
  await load();
  await live.start();
  const onResize = () => {
    detail.resize();
    golden.resize();
  };
  window.addEventListener('resize', onResize);
  return () => {
    window.removeEventListener('resize', onResize);
    detail.destroy();
    golden.destroy();
    live.destroy();
  };
};

/** Imports a CSV or Excel file as a new batch (POST /api/analytics/import). */
function importForm(reload: () => Promise<void>): HTMLElement {
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,.xlsx,text/csv', required: true });
  const name = h('input', { id: 'import-name', required: true });
  const inoc = h('input', { id: 'import-inoculation', placeholder: '2024-01-15T08:00:00Z (optional)' });
  const result = h('p', { id: 'import-result', role: 'status' });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f && !name.value) name.value = f.name.replace(/\.(csv|xlsx)$/i, '');
  });
  const form = h(
    'form',
    { id: 'import-form', class: 'an-form' },
    h('label', { for: 'import-file' }, 'CSV or Excel file'),
    file,
    h('label', { for: 'import-name' }, 'Batch name'),
    name,
    h('label', { for: 'import-inoculation' }, 'Inoculation time (UTC)'),
    inoc,
    h('button', { type: 'submit' }, 'Import'),
    result,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = file.files?.[0];
    if (!f) return;
    const xlsx = /\.xlsx$/i.test(f.name);
    result.textContent = `Importing ${f.name}…`;
    (xlsx ? f.arrayBuffer().then(base64) : f.text())
      .then((content) => send<ImportResult[]>('POST', '/api/analytics/import', { name: name.value.trim(), format: xlsx ? 'xlsx' : 'csv', content, inoculation: inoc.value.trim() || undefined }))
      .then(async (out) => {
        const warn = out.flatMap((r) => r.warnings);
        result.textContent = `Imported ${out.map((r) => `${r.batch_name} (${r.rows_imported} rows)`).join(', ')}.${warn.length ? ` Warnings: ${warn.join('; ')}` : ''}`;
        form.reset();
        await reload();
      })
      .catch((e: unknown) => {
        if (e instanceof HttpError && e.status === 401) return;
        result.textContent = `Not imported: ${(e as Error).message}`;
      });
  });
  return h('details', { class: 'an-import' }, h('summary', {}, 'Import a CSV or Excel run'), form);
}
