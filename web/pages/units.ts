/**
 * Units: a card per unit of the current experiment. Job states and published settings come live from the
 * leader's stream (`/api/live`, web/live.ts: `pioreactor/+/{exp}/+/+`, error logs and dosing events); the agents'
 * running-job lists are still re-read as a fallback (every few seconds while the stream is down, rarely while it
 * is up). Controls: start and stop through the job run/stop routes, editable settings (with their current values)
 * through the update route, blink, the pumps (add media, remove waste, add alt media by mL; a refusal, e.g. over
 * the max fill, is shown with the unit's own message), and the dosing, LED and temperature automations from their
 * descriptors (pick one, fill its fields, start, change or stop it).
 */
import { enc, getJson, HttpError, send, task } from '../api.js';
import { h, toast } from '../dom.js';
import { liveStatus, onLiveStatus, subscribe } from '../live.js';
import type { Page } from '../main.js';
import { AUTOMATION_JOBS, AutomationForm, fmtLeds, fmtValue, labelWithUnit, PUMPS, type AutomationDescriptor, type AutomationType } from './units-controls.js';

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
}

/** Polling of the running jobs while the live stream is down, and while it is up. */
const POLL_MS = 3000;
const POLL_LIVE_MS = 20_000;
/** How long to wait for the unit's error log line after a refused start. */
const EXPLAIN_MS = 3000;
const RUNNING = new Set(['ready', 'sleeping', 'init']);

interface JobCell {
  state: HTMLElement;
  row: HTMLElement;
  /** When the state last came from the live stream (ms). */
  liveAt: number;
  form?: AutomationForm;
}
interface UnitView {
  jobs: Map<string, JobCell>;
  /** `job/setting` -> shows a published value */
  values: Map<string, (raw: string) => void>;
  volume: HTMLElement;
  leds: HTMLElement;
  lastDose: HTMLElement;
  /** Error log lines seen since the page opened: task, message, arrival time. */
  errors: Array<{ task: string; message: string; at: number }>;
  /** A pump job's published state. */
  pumpState: (job: string, state: string) => void;
}

const AUTOMATION_BY_JOB = new Map(Object.entries(AUTOMATION_JOBS).map(([t, j]) => [j as string, t as AutomationType]));

async function descriptorsOf(type: AutomationType): Promise<AutomationDescriptor[]> {
  try {
    return await getJson<AutomationDescriptor[]>(`/api/automations/descriptors/${type}`);
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) throw e;
    return [];
  }
}

export const renderUnits: Page = async (root, ctx) => {
  if (!ctx.exp) {
    root.append(h('p', {}, 'No experiment yet. Create one on the Experiments page.'));
    return;
  }
  const e = ctx.exp.experiment;
  const [workers, descriptors, ...autos] = await Promise.all([
    getJson<Worker[]>(`/api/experiments/${enc(e)}/workers`),
    getJson<JobDescriptor[]>('/api/jobs/descriptors'),
    ...(Object.keys(AUTOMATION_JOBS) as AutomationType[]).map(descriptorsOf),
  ]);
  const automationDescriptors = new Map((Object.keys(AUTOMATION_JOBS) as AutomationType[]).map((t, i) => [t, autos[i] ?? []]));
  const jobs = descriptors.filter((d) => d.display);
  if (workers.length === 0) {
    root.append(h('p', {}, `No units are assigned to ${e}. Assign some on the Experiments page.`));
    return;
  }
  const liveNote = h('p', { class: 'live-status', 'data-status': 'connecting', 'aria-live': 'polite' });
  const grid = h('div', { class: 'units' });
  root.append(liveNote, grid);
  const views = new Map<string, UnitView>();

  const jobUrl = (verb: string, u: string, job: string) => `/api/workers/${enc(u)}/jobs/${verb}/job_name/${enc(job)}/experiments/${enc(e)}`;

  /** The unit's error log line about `job` since `since`, waiting a little for it. */
  const explain = async (u: string, job: string, since: number): Promise<string | null> => {
    const end = Date.now() + EXPLAIN_MS;
    for (;;) {
      const hit = views.get(u)?.errors.find((x) => x.task === job && x.at >= since - 1000);
      if (hit) return hit.message;
      if (Date.now() > end) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const runJob = async (u: string, job: string, options: Record<string, unknown> = {}) => {
    const since = Date.now();
    const r = await task<Record<string, boolean | null>>('POST', jobUrl('run', u, job), { options });
    if (r[u] === true) return;
    if (r[u] === null || r[u] === undefined) throw new Error(`${u} did not answer`);
    const why = await explain(u, job, since);
    throw new Error(why ? `${u}: ${why.replace(/^failed to start: /, '')}` : `${job} did not start on ${u} (is it already running? See Logs)`);
  };
  const stopJob = (u: string, job: string) => send('POST', jobUrl('stop', u, job));
  const waitState = async (cell: JobCell, ok: (s: string) => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!ok(cell.state.dataset.state ?? '')) {
      if (Date.now() > end) throw new Error('The job did not stop in time.');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const act = async (btn: HTMLButtonElement, f: () => Promise<unknown>, ok?: string | (() => string)) => {
    btn.disabled = true;
    try {
      await f();
      if (ok) toast(typeof ok === 'string' ? ok : ok());
      void refresh();
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401)) toast((err as Error).message, true);
    } finally {
      btn.disabled = false;
    }
  };

  const setState = (cell: JobCell, state: string) => {
    cell.state.textContent = state;
    cell.state.dataset.state = state;
    cell.row.dataset.state = state;
  };

  for (const w of workers) {
    const u = w.pioreactor_unit;
    const view: UnitView = {
      jobs: new Map(),
      values: new Map(),
      volume: h('span', { class: 'vol', id: `vol-${u}` }, '–'),
      leds: h('span', { class: 'leds', id: `leds-${u}` }, '–'),
      lastDose: h('span', { class: 'last-dose', id: `dose-${u}` }, 'none yet'),
      errors: [],
      pumpState: () => undefined,
    };
    views.set(u, view);
    const list = h('ul', { class: 'jobs' });
    for (const d of jobs) {
      const type = AUTOMATION_BY_JOB.get(d.job_name);
      const autoDescriptors = type ? (automationDescriptors.get(type) ?? []) : [];
      const state = h('span', { class: 'state', 'data-state': 'unknown' }, '…');
      const start = h('button', { type: 'button', class: 'start', 'aria-label': `Start ${d.display_name} on ${u}` }, 'Start');
      const stop = h('button', { type: 'button', class: 'stop', 'aria-label': `Stop ${d.display_name} on ${u}` }, 'Stop');
      const row = h('li', { 'data-job': d.job_name });
      const cell: JobCell = { state, row, liveAt: 0 };
      let form: AutomationForm | undefined;
      if (type && autoDescriptors.length) {
        const change = h('button', { type: 'button', class: 'change', 'aria-label': `Change ${d.display_name} on ${u}` }, 'Change');
        form = new AutomationForm(u, type, autoDescriptors, [change]);
        cell.form = form;
        const f = form;
        change.addEventListener('click', () =>
          void act(change, async () => {
            const opts = f.options();
            const running = f.live.get('automation_name');
            if (running && opts.automation_name !== running) {
              // another automation: stop this one, then start the chosen one
              const since = f.edits;
              await stopJob(u, d.job_name);
              await waitState(cell, (s) => !RUNNING.has(s), 15_000);
              await runJob(u, d.job_name, opts);
              f.resync(since);
              return;
            }
            const diff = f.changes();
            if (Object.keys(diff).length === 0) throw new Error('Nothing to change: edit a field first.');
            await send('PATCH', jobUrl('update', u, d.job_name), { settings: diff });
            f.dirty = false;
          }, `${d.display_name} on ${u} changed`),
        );
      }
      start.addEventListener('click', () =>
        void act(start, async () => {
          const since = form?.edits;
          await runJob(u, d.job_name, form ? form.options() : {});
          form?.resync(since);
        }),
      );
      stop.addEventListener('click', () => void act(stop, () => stopJob(u, d.job_name)));

      // Read-only values (measured RPM, growth rate, temperature, the running automation...).
      const values = d.published_settings
        .filter((s) => s.display && !s.editable)
        .map((s) => {
          const out = h('span', { class: 'num', id: `val-${u}-${d.job_name}-${s.key}` });
          const el = h('span', { class: 'value', hidden: true }, `${s.label ?? s.key}: `, out, s.unit ? ` ${s.unit}` : '');
          view.values.set(`${d.job_name}/${s.key}`, (raw) => {
            out.textContent = fmtValue(raw, s.key);
            el.hidden = raw === '';
          });
          return el;
        });
      // Editable settings: an input that follows the published value until edited, and the value itself.
      // (An automation's settings are edited in its form instead.)
      const editors = form
        ? []
        : d.published_settings
            .filter((s) => s.editable && s.display)
            .map((s) => {
              const id = `set-${u}-${d.job_name}-${s.key}`;
              const input = h('input', { id, type: s.type === 'numeric' ? 'number' : 'text', step: 'any', value: s.default ?? '', class: 'setting' });
              const current = h('span', { class: 'current', id: `cur-${u}-${d.job_name}-${s.key}` });
              let edited = false;
              input.addEventListener('input', () => (edited = true));
              view.values.set(`${d.job_name}/${s.key}`, (raw) => {
                const v = fmtValue(raw, s.key);
                current.textContent = raw === '' ? '' : `now ${v}${s.unit ? ` ${s.unit}` : ''}`;
                if (raw !== '' && document.activeElement !== input && (!edited || input.value === v)) {
                  input.value = v;
                  edited = false;
                }
              });
              const btn = h('button', { type: 'button', 'aria-label': `Set ${s.label ?? s.key} of ${d.display_name} on ${u}` }, 'Set');
              btn.addEventListener('click', () => {
                const v = s.type === 'numeric' ? Number(input.value) : input.value;
                if (s.type === 'numeric' && !Number.isFinite(v)) return toast(`${s.label ?? s.key}: enter a number`, true);
                void act(
                  btn,
                  async () => {
                    await send('PATCH', jobUrl('update', u, d.job_name), { settings: { [s.key]: v } });
                    edited = false;
                  },
                  `${s.label ?? s.key} set to ${input.value}`,
                );
              });
              return h('span', { class: 'editor' }, h('label', { for: id }, labelWithUnit(s.label ?? s.key, s.unit)), input, btn, current);
            });
      row.append(h('span', { class: 'job-name' }, d.display_name), state, h('span', { class: 'actions' }, start, stop));
      if (values.length) row.append(h('span', { class: 'values' }, ...values));
      row.append(...editors);
      if (form) row.append(form.el);
      list.append(row);
      view.jobs.set(d.job_name, cell);
    }

    // Blink and the pumps.
    const blink = h('button', { type: 'button', class: 'blink', 'aria-label': `Blink ${u}` }, 'Blink');
    blink.addEventListener('click', () => void act(blink, () => send('POST', `/api/workers/${enc(u)}/blink`), `${u} blinks its LED`));
    const mlId = `pump-ml-${u}`;
    const ml = h('input', { id: mlId, type: 'number', min: 0, step: 'any', value: '1', class: 'pump-ml' });
    const pumpError = h('p', { class: 'error pump-error', role: 'alert', id: `pump-error-${u}` });
    // A pump's button is off while that pump runs (the unit would refuse a second dose as a conflict).
    const pumpRunning = new Map<string, boolean>();
    const pumpButtons = new Map<string, HTMLButtonElement>();
    view.pumpState = (job, st) => {
      pumpRunning.set(job, RUNNING.has(st));
      const b = pumpButtons.get(job);
      if (b && !b.dataset.busy) b.disabled = RUNNING.has(st);
      if (b) b.dataset.state = st;
    };
    for (const [job, text] of PUMPS) {
      const b = h('button', { type: 'button', class: 'pump', 'data-pump': job, 'aria-label': `${text} on ${u}` }, text);
      pumpButtons.set(job, b);
      b.addEventListener('click', () => {
        const v = Number(ml.value);
        if (!(Number.isFinite(v) && v > 0)) return toast('Enter a volume in mL above 0.', true);
        pumpError.textContent = '';
        b.dataset.busy = '1';
        b.disabled = true;
        runJob(u, job, { ml: v }).then(
          () => toast(`${text}: ${v} mL on ${u}`),
          (err: unknown) => {
            if (err instanceof HttpError && err.status === 401) return;
            pumpError.textContent = (err as Error).message;
            toast((err as Error).message, true);
          },
        ).finally(() => {
          delete b.dataset.busy;
          b.disabled = pumpRunning.get(job) ?? false;
        });
      });
    }
    const stopPumps = h('button', { type: 'button', class: 'stop-pumps', 'aria-label': `Stop pumps on ${u}` }, 'Stop pumps');
    stopPumps.addEventListener('click', () => void act(stopPumps, () => Promise.all(PUMPS.map(([job]) => stopJob(u, job))), `Pumps on ${u} stopped`));
    const pumps = h(
      'section',
      { class: 'pumps', 'aria-label': `Pumps of ${u}` },
      h('span', { class: 'pump-row' }, h('label', { for: mlId }, 'Volume (mL)'), ml, ...pumpButtons.values(), stopPumps),
      h('p', { class: 'muted' }, 'Last dose: ', view.lastDose),
      pumpError,
    );

    grid.append(
      h(
        'article',
        { class: 'card unit', 'data-unit': u, 'aria-labelledby': `unit-${u}` },
        h('div', { class: 'unit-head' }, h('h2', { id: `unit-${u}` }, u, w.is_active ? '' : h('span', { class: 'muted' }, ' (inactive)')), blink),
        h('p', { class: 'muted' }, w.model_name ?? ''),
        h('p', { class: 'vial' }, 'Volume: ', view.volume, ' · LEDs: ', view.leds),
        list,
        pumps,
      ),
    );
  }

  let stopped = false;
  let busy = false;
  let timer = 0;
  // ---- live updates -------------------------------------------------------------------------------------------
  const onMessage = (topic: string, payload: string) => {
    const p = topic.split('/');
    const view = views.get(p[1] ?? '');
    if (!view || p[2] !== e) return;
    if (p.length === 5) {
      const [, , , a, b] = p as [string, string, string, string, string];
      if (a === 'bioreactor') {
        if (b === 'current_volume_ml') view.volume.textContent = payload === '' ? '–' : `${fmtValue(payload, b)} mL`;
        return;
      }
      if (a === 'leds' && b === 'intensity') {
        view.leds.textContent = fmtLeds(payload);
        return;
      }
      const cell = view.jobs.get(a);
      if (b === '$state') {
        if (PUMPS.some(([job]) => job === a)) view.pumpState(a, payload);
        if (cell) {
          cell.liveAt = Date.now();
          setState(cell, payload || 'disconnected');
        }
        return;
      }
      view.values.get(`${a}/${b}`)?.(payload);
      cell?.form?.setLive(b, payload);
    } else if (p[3] === 'logs') {
      try {
        const m = JSON.parse(payload) as { task?: string; message?: string };
        if (typeof m.message === 'string') view.errors.push({ task: String(m.task ?? ''), message: m.message, at: Date.now() });
        if (view.errors.length > 50) view.errors.shift();
      } catch {
        // not a log record
      }
    } else if (p[3] === 'dosing_events') {
      try {
        const m = JSON.parse(payload) as { event?: string; volume_change?: number; timestamp?: string };
        const when = m.timestamp ? new Date(m.timestamp).toLocaleTimeString() : '';
        view.lastDose.textContent = `${m.event ?? '?'} ${fmtValue(String(m.volume_change ?? ''), 'volume_change')} mL ${when}`;
      } catch {
        // not a dosing event
      }
    }
  };
  const offs = [
    subscribe(`pioreactor/+/${e}/+/+`, onMessage),
    subscribe(`pioreactor/+/${e}/logs/+/error`, onMessage),
    subscribe(`pioreactor/+/${e}/dosing_events`, onMessage),
    onLiveStatus((s) => {
      liveNote.dataset.status = s;
      liveNote.textContent = s === 'open' ? 'Live' : s === 'connecting' ? 'Connecting to the live stream…' : 'Live stream down: reconnecting (states are polled meanwhile)';
      // the stream went away: poll at the faster pace from now
      if (s === 'closed' && timer) {
        window.clearTimeout(timer);
        schedule();
      }
    }),
  ];

  // ---- the polled fallback ------------------------------------------------------------------------------------
  const refresh = async () => {
    if (busy || stopped) return;
    busy = true;
    const asked = Date.now();
    // One request per unit, so a unit that does not answer delays only its own card.
    const one = async (u: string, view: UnitView) => {
      const running = await task<Record<string, RunningJob[] | null>>('GET', `/api/workers/${enc(u)}/jobs/running`);
      if (stopped) return;
      const list = running[u];
      for (const [job, cell] of view.jobs) {
        // A state the stream brought after we asked is newer than this answer.
        if (cell.liveAt > asked) continue;
        const j = list?.find((x) => x.job_name === job && (x.experiment === e || x.experiment === null));
        setState(cell, list === undefined || list === null ? 'unreachable' : j ? (j.state ?? 'ready') : 'disconnected');
      }
    };
    try {
      const results = await Promise.allSettled([...views].map(([u, view]) => one(u, view)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const err: unknown = failed?.reason;
      if (err && !(err instanceof HttpError && err.status === 401)) toast(`Units: ${(err as Error).message}`, true);
    } finally {
      busy = false;
    }
  };
  await refresh();
  schedule();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    for (const off of offs) off();
  };

  function schedule(): void {
    window.clearTimeout(timer);
    timer = window.setTimeout(
      () =>
        void refresh().then(() => {
          if (!stopped) schedule();
        }),
      liveStatus() === 'open' ? POLL_LIVE_MS : POLL_MS,
    );
  }
};
