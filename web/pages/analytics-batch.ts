/**
 * One batch of the Analytics page: its details, its main variable with the detected phases shaded, the phase
 * table, the growth metrics (mu of each exponential phase) and its score against a golden profile.
 *
 * Showing a batch runs POST .../metrics (which detects the phases again, PELT, and replaces the earlier ones),
 * then reads GET .../phases: the phases are always those of the signal on screen.
 */
import { getJson, HttpError, send } from '../api.js';
import { TimeChart, type Band } from '../chart.js';
import { fmtTime, h, PALETTE, toast } from '../dom.js';
import {
  AnalyticsState,
  batchPath,
  defaultSignal,
  fmt,
  loadTelemetry,
  profileLabel,
  type Batch,
  type BatchMetrics,
  type BatchScore,
  type PhaseAnnotation,
  type SeriesByVariable,
} from './analytics-data.js';

/** TimeChart shades bands alternately in these two colours (web/chart.ts); the phase table repeats them. */
const BAND_SWATCH = ['rgba(230,159,0,0.35)', 'rgba(86,180,233,0.35)'];
const MAX_POINTS = 2000;

const secs = (iso: string) => Date.parse(iso) / 1000;
/** A phase boundary, short enough for a table cell (the full time is its tooltip). */
const when = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
};

function thin<T>(pts: T[]): T[] {
  if (pts.length <= MAX_POINTS) return pts;
  const step = pts.length / MAX_POINTS;
  return Array.from({ length: MAX_POINTS }, (_, i) => pts[Math.floor(i * step)]!);
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface BatchView {
  el: HTMLElement;
  show(b: Batch): Promise<void>;
  /** The profiles or scores changed. */
  refresh(): void;
  resize(): void;
  destroy(): void;
}

export function batchView(state: AnalyticsState): BatchView {
  const title = h('h2', { id: 'batch-title', tabindex: -1 }, 'Batch');
  const meta = h('dl', { class: 'an-meta', id: 'batch-meta' });
  const signal = h('select', { id: 'batch-signal' });
  const detect = h('button', { type: 'button', id: 'batch-detect' }, 'Detect phases again');
  const status = h('p', { class: 'muted', id: 'batch-status', role: 'status' });
  const chartBox = h('div', { class: 'chart-card' });
  let chart = new TimeChart('Detected phases', 'value', () => PALETTE[0]!);
  /** TimeChart's title and axis are fixed: a new one per signal. */
  const chartFor = (sig: string) => {
    if (chart.title !== `${sig} and its detected phases`) {
      chart.destroy();
      chart = new TimeChart(`${sig} and its detected phases`, sig, () => PALETTE[0]!);
      chart.el.id = 'chart-batch';
      chartBox.replaceChildren(chart.el);
    }
    return chart;
  };
  const phases = h('tbody');
  const metrics = h('tbody');
  const profileSel = h('select', { id: 'score-profile' });
  const scoreBtn = h('button', { type: 'button', id: 'score-run' }, 'Score');
  const scoreOut = h('p', { id: 'score-result', role: 'status' });
  const scoreBox = h(
    'section',
    { class: 'an-score', 'aria-labelledby': 'score-title' },
    h('h3', { id: 'score-title' }, 'Score against a golden profile'),
    h('div', { class: 'toolbar' }, h('label', { for: 'score-profile' }, 'Golden profile'), profileSel, scoreBtn),
    scoreOut,
  );
  const body = h(
    'div',
    { hidden: true },
    meta,
    h('div', { class: 'toolbar' }, h('label', { for: 'batch-signal' }, 'Signal'), signal, detect),
    status,
    chartBox,
    h(
      'div',
      { class: 'an-tables' },
      h(
        'div',
        { class: 'an-scroll' },
        h(
          'table',
          { class: 'list', id: 'phases' },
          h('caption', {}, 'Phases'),
          h('thead', {}, h('tr', {}, ...['Band', 'Phase', 'Start', 'End', 'Hours', 'Growth rate (1/h)', 'Confidence', 'Method'].map((c) => h('th', { scope: 'col' }, c)))),
          phases,
        ),
      ),
      h(
        'div',
        { class: 'an-scroll' },
        h(
          'table',
          { class: 'list', id: 'metrics' },
          h('caption', {}, 'Growth metrics'),
          h('thead', {}, h('tr', {}, ...['Phase', 'µ (1/h)', '± std. err.', 'R²', 'Doubling time (h)', 'Signal'].map((c) => h('th', { scope: 'col' }, c)))),
          metrics,
        ),
      ),
    ),
    scoreBox,
  );
  const hint = h('p', { class: 'muted' }, 'Choose a batch in the catalogue to see its phases, metrics and score.');
  const el = h('section', { class: 'card', id: 'batch-detail', 'aria-labelledby': 'batch-title' }, title, hint, body);

  let current: Batch | null = null;
  let series: SeriesByVariable = new Map();
  let token = 0;

  const renderMeta = (b: Batch) => {
    const rows: Array<[string, string]> = [
      ['Batch id', b.batch_id],
      ['Source', b.source === 'cluster' ? 'Live cluster run' : 'Imported'],
      ['Lifecycle', b.lifecycle],
      ['Strain', b.strain ?? '–'],
      ['Media', b.media ?? '–'],
      ['Scale', b.scale_liters === null ? '–' : `${b.scale_liters} L`],
      ['Operator', b.operator ?? '–'],
      ['Tags', b.tags.join(', ') || '–'],
      ['Started', b.started_at ? fmtTime(b.started_at) : '–'],
      ['Ended', b.ended_at ? fmtTime(b.ended_at) : '–'],
    ];
    meta.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  };

  const renderPhases = (list: PhaseAnnotation[]) => {
    // `growth`: the offline growth-rate phases (`pelt` on batches analysed before they replaced PELT labels)
    const pelt = list.filter((p) => p.method === 'growth' || p.method === 'pelt');
    chart.bands = pelt.map((p): Band => ({ start: secs(p.start_ts), end: secs(p.end_ts), label: p.phase_type }));
    phases.replaceChildren(
      ...list.map((p) => {
        const band = pelt.indexOf(p);
        return h(
          'tr',
          { 'data-phase': p.phase_type, 'data-method': p.method },
          h('td', {}, band < 0 ? '' : h('span', { class: 'an-swatch', style: `background:${BAND_SWATCH[band % 2]}`, title: `band ${band + 1}` })),
          h('th', { scope: 'row' }, p.phase_type),
          h('td', { title: fmtTime(p.start_ts) }, when(p.start_ts)),
          h('td', { title: fmtTime(p.end_ts) }, when(p.end_ts)),
          h('td', {}, `${fmt(p.start_h, 3)} – ${fmt(p.end_h, 3)}`),
          h('td', {}, fmt(p.growth_rate)),
          h('td', {}, fmt(p.confidence, 2)),
          h('td', {}, p.method),
        );
      }),
    );
    if (list.length === 0) phases.append(h('tr', {}, h('td', { colspan: 8 }, 'No phases detected.')));
  };

  const renderMetrics = (list: BatchMetrics[]) => {
    metrics.replaceChildren(
      ...list.map((m) =>
        h(
          'tr',
          { 'data-phase': m.phase_type },
          h('th', { scope: 'row' }, m.phase_type),
          h('td', { class: 'mu' }, fmt(m.mu, 4)),
          h('td', {}, fmt(m.mu_std_err, 2)),
          h('td', {}, fmt(m.r_squared, 3)),
          h('td', {}, m.mu && m.mu > 0 ? fmt(Math.LN2 / m.mu, 3) : '–'),
          h('td', {}, m.signal_variable),
        ),
      ),
    );
    if (list.length === 0) metrics.append(h('tr', {}, h('td', { colspan: 6 }, 'No exponential phase with a growth rate was found.')));
  };

  const analyse = async () => {
    const b = current;
    const sig = signal.value;
    if (!b || !sig) return;
    const my = ++token;
    status.textContent = `Detecting the phases of ${sig}…`;
    detect.disabled = true;
    try {
      const m = await send<BatchMetrics[]>('POST', `${batchPath(b.batch_id)}/metrics`, { signal: sig });
      const p = await getJson<PhaseAnnotation[]>(`${batchPath(b.batch_id)}/phases`);
      if (my !== token) return;
      chartFor(sig);
      renderMetrics(m);
      renderPhases(p.filter((x) => x.signal_variable === sig));
      chart.update({ series: [`${b.name} ${sig}`], data: [thin(series.get(sig) ?? [])] });
      status.textContent = `${(series.get(sig) ?? []).length} samples of ${sig}.`;
    } catch (e) {
      if (my !== token || (e instanceof HttpError && e.status === 401)) return;
      status.textContent = `Phases and metrics: ${errorText(e)}`;
      chartFor(sig);
      renderPhases([]);
      renderMetrics([]);
      chart.update({ series: [`${b.name} ${sig}`], data: [thin(series.get(sig) ?? [])] });
    } finally {
      if (my === token) detect.disabled = false;
    }
  };

  const refresh = () => {
    const keep = profileSel.value;
    profileSel.replaceChildren(...state.profiles.map((p) => h('option', { value: p.profile_id, selected: p.profile_id === keep }, profileLabel(p, state.nameOf))));
    const none = state.profiles.length === 0;
    profileSel.disabled = none;
    scoreBtn.disabled = none || !current;
    if (none) scoreOut.textContent = 'Build a golden profile below to score this batch against it.';
    else if (current) {
      const s = state.scores.get(profileSel.value)?.get(current.batch_id);
      scoreOut.replaceChildren(...(s ? scoreText(s) : []));
    }
  };

  const scoreText = (s: BatchScore) => [
    'Score ',
    h('strong', { class: 'score', 'data-score': s.score }, fmt(s.score, 4)),
    ` / 100 (normalised DTW distance ${fmt(s.dtw_normalized_distance, 3)}, over ${s.variables.join(', ')}).`,
  ];

  profileSel.addEventListener('change', refresh);
  signal.addEventListener('change', () => void analyse());
  detect.addEventListener('click', () => void analyse());
  scoreBtn.addEventListener('click', () => {
    const b = current;
    const id = profileSel.value;
    if (!b || !id) return;
    scoreBtn.disabled = true;
    scoreOut.textContent = 'Scoring…';
    send<BatchScore>('POST', '/api/analytics/score', { profile: id, batch: b.batch_id })
      .then(
        (s) => state.addScore(s),
        (e: unknown) => {
          scoreOut.textContent = `Could not score: ${errorText(e)}`;
          if (!(e instanceof HttpError && e.status === 401)) toast(`Score: ${errorText(e)}`, true);
        },
      )
      .finally(() => (scoreBtn.disabled = !current || state.profiles.length === 0));
  });

  return {
    el,
    async show(b: Batch) {
      current = b;
      const my = ++token;
      hint.hidden = true;
      body.hidden = false;
      title.textContent = `Batch ${b.name}`;
      renderMeta(b);
      refresh();
      phases.replaceChildren();
      metrics.replaceChildren();
      status.textContent = 'Loading the telemetry…';
      try {
        series = await loadTelemetry(b.batch_id);
      } catch (e) {
        if (my === token) status.textContent = `Telemetry: ${errorText(e)}`;
        return;
      }
      if (my !== token) return;
      const vars = [...series.keys()];
      state.rememberVariables(b.batch_id, vars);
      const sig = defaultSignal(vars);
      signal.replaceChildren(...vars.map((v) => h('option', { value: v, selected: v === sig }, v)));
      if (!sig) {
        status.textContent = 'This batch has no telemetry yet.';
        chart.destroy();
        chart = new TimeChart('Detected phases', 'value', () => PALETTE[0]!);
        chartBox.replaceChildren();
        return;
      }
      await analyse();
    },
    refresh,
    resize: () => chart.resize(),
    destroy: () => chart.destroy(),
  };
}
