/**
 * Overview of the current experiment: OD, normalised OD, growth rate and temperature per unit from the
 * time-series routes (re-polled every few seconds, with a lookback control), media rates, detected phases as
 * a coloured strip per unit along the top of each chart (`/api/experiments/{e}/phases`), and media doses as dashed vertical markers in
 * the unit's colour on the OD charts (`/api/experiments/{e}/dosing_events`).
 */
import { enc, getJson, HttpError } from '../api.js';
import { h, toast } from '../dom.js';
import { TimeChart, unitColours, type Band, type Marker, type SeriesBody } from '../chart.js';
import type { Page } from '../main.js';

const CHARTS = [
  { source: 'od_readings', title: 'Optical density', y: 'OD', target: 1400 },
  { source: 'od_readings_filtered', title: 'Normalised optical density', y: 'normalised OD', target: 1400 },
  { source: 'growth_rates', title: 'Implied growth rate', y: 'growth rate (1/h)', target: 1400 },
  { source: 'temperature_readings', title: 'Temperature', y: '°C', target: 1400 },
];

const LOOKBACKS: Array<[string, number]> = [
  ['1 hour', 1],
  ['4 hours', 4],
  ['12 hours', 12],
  ['24 hours', 24],
  ['7 days', 168],
  ['All', 100000],
];

const REFRESH_MS = 4000;
/** Whether the leader serves phases: asked once per page load (a 404 is remembered). */
let phasesRoute: boolean | null = null;

interface Worker {
  pioreactor_unit: string;
  is_active: number;
}

/** One unit's phases from `/api/experiments/{e}/phases` (online phase detection). */
interface UnitPhases {
  pioreactor_unit: string;
  phase: string;
  phase_started_at: string | null;
  history: Array<{ phase: string; started_at: string }>;
}

/** Okabe-Ito colours per growth phase (legend on the page). */
export const PHASE_COLOURS: Record<string, string> = { lag: '#999999', exponential: '#56B4E9', deceleration: '#009E73', stationary: '#E69F00', decline: '#D55E00' };

export const renderOverview: Page = async (root, ctx) => {
  if (!ctx.exp) {
    root.append(h('p', {}, 'No experiment yet. Create one on the Experiments page.'));
    return;
  }
  const e = ctx.exp.experiment;
  const createdAt = ctx.exp.created_at;
  const workers = await getJson<Worker[]>(`/api/experiments/${enc(e)}/workers`);
  const units = workers.map((w) => w.pioreactor_unit);
  const colour = unitColours(units);
  const stored = Number(localStorage.getItem('colony.lookback') ?? '4');
  let lookback = LOOKBACKS.some(([, v]) => v === stored) ? stored : 4;

  const select = h('select', { id: 'lookback' }, ...LOOKBACKS.map(([l, v]) => h('option', { value: v, selected: v === lookback }, l)));
  const media = h('dl', { class: 'media', id: 'media-rates' });
  const status = h('span', { class: 'muted', 'aria-live': 'off', id: 'refreshed' });
  const refresh = h('button', { type: 'button', id: 'refresh-now' }, 'Refresh now');
  const markers = h('span', { class: 'muted', id: 'dose-markers' });
  root.append(
    h('p', { class: 'summary' }, h('strong', {}, e), ctx.exp.description ? ` — ${ctx.exp.description}` : '', ` · created ${new Date(ctx.exp.created_at).toLocaleString()} · units: ${units.join(', ') || 'none assigned'}`),
    h('div', { class: 'toolbar' }, h('label', { for: 'lookback' }, 'Look back'), select, refresh, status),
    h(
      'p',
      { class: 'phase-legend', id: 'phase-legend' },
      'Growth phases, one strip per unit along the top of each chart: ',
      ...Object.entries(PHASE_COLOURS).map(([p, c]) => h('span', { class: 'swatch-item' }, h('span', { class: 'swatch', style: `background:${c}`, 'aria-hidden': 'true' }), ` ${p} `)),
    ),
    h('section', { class: 'card', 'aria-label': 'Media rates' }, h('h2', {}, 'Dosing (mL/h over the last 3 h)'), media, markers),
  );
  const grid = h('div', { class: 'charts' });
  root.append(grid);
  const charts = CHARTS.map((c) => {
    const chart = new TimeChart(c.title, c.y, colour);
    chart.el.id = `chart-${c.source}`;
    grid.append(h('section', { class: 'card chart-card' }, chart.el));
    return { spec: c, chart };
  });

  let stopped = false;
  let busy = false;
  const load = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const [bands, doses] = await Promise.all([loadPhases(e, units, createdAt), loadDoses(e, lookback, colour)]);
      markers.textContent = doses.length ? `${doses.length} media dose${doses.length === 1 ? "" : "s"} marked on the OD charts` : '';
      await Promise.all(
        charts.map(async ({ spec, chart }) => {
          const body = await getJson<SeriesBody>(`/api/experiments/${enc(e)}/time_series/${spec.source}?lookback=${lookback}&target_points=${spec.target}`);
          if (stopped) return;
          chart.bands = bands;
          chart.markers = spec.source.startsWith('od_') ? doses : [];
          chart.el.dataset.markers = String(chart.markers.length);
          chart.update(body);
        }),
      );
      const rates = await getJson<Record<string, { mediaRate: number; altMediaRate: number }>>(`/api/experiments/${enc(e)}/media_rates`);
      if (!stopped) {
        media.replaceChildren(
          ...Object.entries(rates).flatMap(([unit, r]) => [
            h('dt', {}, unit === 'all' ? 'All units' : unit),
            h('dd', {}, `media ${r.mediaRate.toFixed(2)} mL/h · alt. media ${r.altMediaRate.toFixed(2)} mL/h`),
          ]),
        );
        status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      }
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401)) toast(`Overview: ${(err as Error).message}`, true);
    } finally {
      busy = false;
    }
  };
  select.addEventListener('change', () => {
    lookback = Number(select.value);
    localStorage.setItem('colony.lookback', String(lookback));
    void load();
  });
  refresh.addEventListener('click', () => void load());
  const onResize = () => charts.forEach(({ chart }) => chart.resize());
  window.addEventListener('resize', onResize);
  await load();
  const timer = window.setInterval(() => void load(), REFRESH_MS);
  return () => {
    stopped = true;
    window.clearInterval(timer);
    window.removeEventListener('resize', onResize);
    charts.forEach(({ chart }) => chart.destroy());
  };
};

interface DosingEvent {
  pioreactor_unit: string;
  timestamp: string;
  event: string;
  volume_change_ml: number;
}

/** Media and alt-media additions in the lookback window, as chart markers in the unit's colour. */
async function loadDoses(e: string, lookbackHours: number, colour: (unit: string) => string): Promise<Marker[]> {
  const rows = await getJson<DosingEvent[]>(`/api/experiments/${enc(e)}/dosing_events?lookback=${lookbackHours}&limit=2000`);
  return rows
    .filter((r) => r.event === 'add_media' || r.event === 'add_alt_media')
    .map((r) => ({ at: Date.parse(r.timestamp) / 1000, label: `${r.pioreactor_unit} ${r.event} ${r.volume_change_ml} mL`, colour: colour(r.pioreactor_unit) }));
}

/** Each unit's phases as a strip (one lane per unit) along the top of the charts, coloured by phase. */
async function loadPhases(e: string, units: string[], runStart: string | null): Promise<Band[]> {
  if (phasesRoute === false) return [];
  try {
    const rows = await getJson<UnitPhases[]>(`/api/experiments/${enc(e)}/phases`);
    phasesRoute = true;
    const now = Date.now() / 1000;
    const lanes = Math.max(1, units.length);
    return rows.flatMap((r) => {
      const lane = units.indexOf(r.pioreactor_unit);
      let hist = r.history.length ? r.history : r.phase_started_at ? [{ phase: r.phase, started_at: r.phase_started_at }] : [];
      // The streaming labeller starts every run in lag; only changes are events, so the first lag is implied.
      if (hist.length && hist[0]!.phase !== 'lag' && runStart) hist = [{ phase: 'lag', started_at: runStart }, ...hist];
      return hist
        .map((p, i) => ({
          start: Date.parse(p.started_at) / 1000,
          end: i + 1 < hist.length ? Date.parse(hist[i + 1]!.started_at) / 1000 : now,
          label: `${r.pioreactor_unit} ${p.phase}`,
          colour: PHASE_COLOURS[p.phase] ?? '#CC79A7',
          lane: lane < 0 ? lanes - 1 : lane,
          lanes,
        }))
        .filter((b) => Number.isFinite(b.start) && Number.isFinite(b.end));
    });
  } catch (err) {
    if (err instanceof HttpError && (err.status === 404 || err.status === 405)) phasesRoute = false;
    return [];
  }
}
