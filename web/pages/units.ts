/**
 * Units: a card per unit of the current experiment with each job's state (from the agents' running-job lists,
 * re-read every few seconds) and controls: start and stop through the job run/stop routes, editable settings
 * (e.g. stirring's target RPM) through the update route.
 */
import { enc, getJson, HttpError, send, task } from '../api.js';
import { h, toast } from '../dom.js';
import type { Page } from '../main.js';

interface Setting {
  key: string;
  type: string;
  display: boolean;
  editable?: boolean;
  label?: string;
  unit?: string;
  default?: number | string;
}
interface JobDescriptor {
  job_name: string;
  display_name: string;
  display: boolean;
  published_settings: Setting[];
}
interface Worker {
  pioreactor_unit: string;
  is_active: number;
  model_name?: string;
}
interface RunningJob {
  job_name: string;
  experiment: string | null;
  state?: string;
  started_at?: string | null;
}

const REFRESH_MS = 3000;

export const renderUnits: Page = async (root, ctx) => {
  if (!ctx.exp) {
    root.append(h('p', {}, 'No experiment yet. Create one on the Experiments page.'));
    return;
  }
  const e = ctx.exp.experiment;
  const [workers, descriptors] = await Promise.all([getJson<Worker[]>(`/api/experiments/${enc(e)}/workers`), getJson<JobDescriptor[]>('/api/jobs/descriptors')]);
  const jobs = descriptors.filter((d) => d.display);
  if (workers.length === 0) {
    root.append(h('p', {}, `No units are assigned to ${e}. Assign some on the Experiments page.`));
    return;
  }
  const grid = h('div', { class: 'units' });
  root.append(grid);
  /** unit -> job -> state cell */
  const cells = new Map<string, Map<string, { state: HTMLElement; row: HTMLElement }>>();
  for (const w of workers) {
    const u = w.pioreactor_unit;
    const rows = new Map<string, { state: HTMLElement; row: HTMLElement }>();
    const list = h('ul', { class: 'jobs' });
    for (const d of jobs) {
      const state = h('span', { class: 'state', 'data-state': 'unknown' }, '…');
      const start = h('button', { type: 'button', class: 'start', 'aria-label': `Start ${d.display_name} on ${u}` }, 'Start');
      const stop = h('button', { type: 'button', class: 'stop', 'aria-label': `Stop ${d.display_name} on ${u}` }, 'Stop');
      start.addEventListener('click', () => void act(start, () => runJob(u, d.job_name)));
      stop.addEventListener('click', () => void act(stop, () => send('POST', `/api/workers/${enc(u)}/jobs/stop/job_name/${enc(d.job_name)}/experiments/${enc(e)}`)));
      const editors = d.published_settings
        .filter((s) => s.editable && s.display)
        .map((s) => {
          const id = `set-${u}-${d.job_name}-${s.key}`;
          const input = h('input', { id, type: s.type === 'numeric' ? 'number' : 'text', step: 'any', value: s.default ?? '', class: 'setting' });
          const btn = h('button', { type: 'button', 'aria-label': `Set ${s.label ?? s.key} of ${d.display_name} on ${u}` }, 'Set');
          btn.addEventListener('click', () => {
            const v = s.type === 'numeric' ? Number(input.value) : input.value;
            if (s.type === 'numeric' && !Number.isFinite(v)) return toast(`${s.label ?? s.key}: enter a number`, true);
            void act(btn, () => send('PATCH', `/api/workers/${enc(u)}/jobs/update/job_name/${enc(d.job_name)}/experiments/${enc(e)}`, { settings: { [s.key]: v } }), `${s.label ?? s.key} set to ${input.value}`);
          });
          return h('span', { class: 'editor' }, h('label', { for: id }, `${s.label ?? s.key}${s.unit && !(s.label ?? '').includes(s.unit) ? ` (${s.unit})` : ''}`), input, btn);
        });
      const row = h('li', { 'data-job': d.job_name }, h('span', { class: 'job-name' }, d.display_name), state, h('span', { class: 'actions' }, start, stop), ...editors);
      list.append(row);
      rows.set(d.job_name, { state, row });
    }
    cells.set(u, rows);
    grid.append(
      h(
        'article',
        { class: 'card unit', 'data-unit': u, 'aria-labelledby': `unit-${u}` },
        h('h2', { id: `unit-${u}` }, u, w.is_active ? '' : h('span', { class: 'muted' }, ' (inactive)')),
        h('p', { class: 'muted' }, w.model_name ?? ''),
        list,
      ),
    );
  }

  const runJob = async (u: string, job: string) => {
    const r = await task<Record<string, boolean | null>>('POST', `/api/workers/${enc(u)}/jobs/run/job_name/${enc(job)}/experiments/${enc(e)}`, {});
    if (r[u] !== true) throw new Error(r[u] === null ? `${u} did not answer` : `${job} did not start on ${u} (see Logs)`);
  };
  const act = async (btn: HTMLButtonElement, f: () => Promise<unknown>, ok?: string) => {
    btn.disabled = true;
    try {
      await f();
      if (ok) toast(ok);
      await refresh();
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401)) toast((err as Error).message, true);
    } finally {
      btn.disabled = false;
    }
  };

  let stopped = false;
  let busy = false;
  const refresh = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const running = await task<Record<string, RunningJob[] | null>>('GET', '/api/workers/$broadcast/jobs/running');
      if (stopped) return;
      for (const [u, rows] of cells) {
        const list = running[u];
        for (const [job, cell] of rows) {
          const j = list?.find((x) => x.job_name === job && (x.experiment === e || x.experiment === null));
          const state = list === undefined || list === null ? 'unreachable' : j ? (j.state ?? 'ready') : 'disconnected';
          cell.state.textContent = state;
          cell.state.dataset.state = state;
          cell.row.dataset.state = state;
        }
      }
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401)) toast(`Units: ${(err as Error).message}`, true);
    } finally {
      busy = false;
    }
  };
  await refresh();
  const timer = window.setInterval(() => void refresh(), REFRESH_MS);
  return () => {
    stopped = true;
    window.clearInterval(timer);
  };
};
