/**
 * Golden profile and overlay: the batches ticked in the catalogue become a golden profile (POST
 * /api/analytics/golden: mean and sd per variable over the runs, aligned on their exponential-phase start),
 * drawn per variable as the mean with its ± 1 sd envelope, over the runs themselves (POST /api/analytics/align)
 * and any batch scored against it.
 */
import { HttpError, send } from '../api.js';
import { h, PALETTE, toast } from '../dom.js';
import { OverlayChart, type OverlayLine } from './analytics-chart.js';
import { AnalyticsState, defaultSignal, fmt, profileLabel, type Aligned, type GoldenProfile } from './analytics-data.js';

/** The runs' colours: Okabe-Ito without black, which draws the mean. */
const RUN_COLOURS = PALETTE.filter((c) => c !== '#000000');
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface GoldenView {
  el: HTMLElement;
  refresh(): void;
  resize(): void;
  destroy(): void;
}

export function goldenView(state: AnalyticsState): GoldenView {
  const compareList = h('p', { id: 'compare-list' });
  const varsBox = h('div', { class: 'an-vars' });
  const signal = h('select', { id: 'golden-signal' });
  const resolution = h('input', { id: 'golden-resolution', type: 'number', min: 1, max: 240, step: 1, value: 15 });
  const name = h('input', { id: 'golden-name', placeholder: 'optional' });
  const build = h('button', { type: 'submit', id: 'golden-build' }, 'Build golden profile');
  const status = h('p', { id: 'golden-status', role: 'status' });
  const profileSel = h('select', { id: 'golden-profile' });
  const summary = h('p', { id: 'golden-summary' });
  const scores = h('ul', { id: 'golden-scores', class: 'an-scores' });
  const charts = h('div', { class: 'charts', id: 'overlay' });
  const form = h(
    'form',
    { id: 'golden-form', class: 'an-form', 'aria-describedby': 'compare-list' },
    h('fieldset', {}, h('legend', {}, 'Variables'), varsBox),
    h('label', { for: 'golden-signal' }, 'Align on the phases of'),
    signal,
    h('label', { for: 'golden-resolution' }, 'Resolution (minutes)'),
    resolution,
    h('label', { for: 'golden-name' }, 'Profile name'),
    name,
    build,
  );
  const shown = h('div', { hidden: true }, h('div', { class: 'toolbar' }, h('label', { for: 'golden-profile' }, 'Profile shown'), profileSel), summary, scores, charts);
  const el = h(
    'section',
    { class: 'card', id: 'golden', 'aria-labelledby': 'golden-title' },
    h('h2', { id: 'golden-title' }, 'Golden profile and overlay'),
    h('p', { class: 'muted' }, 'Tick “Compare” on two or more batches in the catalogue, choose the variables, and build their golden profile.'),
    compareList,
    form,
    status,
    shown,
  );

  let overlays: OverlayChart[] = [];
  let varToken = 0;
  let drawToken = 0;
  let drawn = '';

  /** Variables every compared batch has (case-insensitively: the CSV importer stores pH as `ph`). */
  const updateVariables = async () => {
    const ids = [...state.compare];
    const my = ++varToken;
    let common: string[];
    try {
      const lists = await Promise.all(ids.map((id) => state.variables(id)));
      if (my !== varToken) return;
      common = lists.length ? lists[0]!.filter((v) => lists.every((l) => l.some((w) => w.toLowerCase() === v.toLowerCase()))) : [];
    } catch (e) {
      if (my === varToken && !(e instanceof HttpError && e.status === 401)) status.textContent = `Variables: ${errorText(e)}`;
      return;
    }
    const ticked = new Set([...varsBox.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
    const sig = common.includes(signal.value) ? signal.value : defaultSignal(common);
    if (ticked.size === 0 && sig) ticked.add(sig);
    varsBox.replaceChildren(
      ...common.map((v, i) =>
        h('span', { class: 'an-check' }, h('input', { type: 'checkbox', id: `golden-var-${i}`, value: v, checked: ticked.has(v) }), h('label', { for: `golden-var-${i}` }, v)),
      ),
    );
    if (common.length === 0) varsBox.append(h('span', { class: 'muted' }, ids.length ? 'The compared batches share no variable.' : 'No batches to compare yet.'));
    signal.replaceChildren(...common.map((v) => h('option', { value: v, selected: v === sig }, v)));
  };

  const refresh = () => {
    const ids = [...state.compare];
    compareList.replaceChildren(
      ids.length ? `Comparing ${ids.length}: ` : 'No batch is ticked for comparison.',
      ...ids.flatMap((id, i) => [
        i ? ', ' : '',
        h(
          'span',
          { class: 'an-chip' },
          state.nameOf(id),
          h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${state.nameOf(id)} from the comparison`, onclick: () => untick(id) }, '×'),
        ),
      ]),
    );
    build.disabled = ids.length < 2;
    void updateVariables();
    const keep = profileSel.value;
    profileSel.replaceChildren(...state.profiles.map((p, i) => h('option', { value: p.profile_id, selected: keep ? p.profile_id === keep : i === 0 }, profileLabel(p, state.nameOf))));
    shown.hidden = state.profiles.length === 0;
    void draw();
  };

  const untick = (id: string) => {
    state.compare.delete(id);
    state.changed();
  };

  /** The profile chosen: summary, scores and one overlay chart per variable. */
  const draw = async () => {
    const shownId = profileSel.value;
    if (!state.profiles.some((q) => q.profile_id === shownId)) return;
    const my = ++drawToken;
    let p: GoldenProfile;
    try {
      p = await state.profile(shownId);
    } catch (e) {
      if (my === drawToken && !(e instanceof HttpError && e.status === 401)) status.textContent = `Profile: ${errorText(e)}`;
      return;
    }
    if (my !== drawToken) return;
    const scored = [...(state.scores.get(p.profile_id)?.values() ?? [])];
    summary.textContent = `${profileLabel(p, state.nameOf)}: ${p.variables.join(', ')} over ${p.source_batch_ids.length} runs (${p.source_batch_ids.map(state.nameOf).join(', ')}), aligned on the exponential phase of ${p.signal}; ${fmt(p.elapsed_hours[0] ?? null, 3)} to ${fmt(p.elapsed_hours.at(-1) ?? null, 3)} h. Id ${p.profile_id}.`;
    scores.replaceChildren(...scored.map((s) => h('li', { 'data-batch-id': s.batch_id }, `${state.nameOf(s.batch_id)}: score ${fmt(s.score, 4)} / 100`)));
    const extra = scored.map((s) => s.batch_id).filter((id) => !p.source_batch_ids.includes(id));
    const key = `${p.profile_id}|${extra.join(',')}`;
    if (key === drawn) return;
    const step = p.elapsed_hours.length > 1 ? (p.elapsed_hours[1]! - p.elapsed_hours[0]!) * 60 : 15;
    const align = (batches: string[]) => send<Aligned>('POST', '/api/analytics/align', { batches, variables: p.variables, signal: p.signal, resolution_minutes: step });
    let runs: Aligned[];
    try {
      runs = [await align(p.source_batch_ids), ...(await Promise.all(extra.map((id) => align([id]).catch(() => null)))).filter((a): a is Aligned => a !== null)];
    } catch (e) {
      if (my === drawToken && !(e instanceof HttpError && e.status === 401)) status.textContent = `Overlay: ${errorText(e)}`;
      return;
    }
    if (my !== drawToken) return;
    drawn = key;
    overlays.forEach((o) => o.destroy());
    charts.replaceChildren();
    overlays = p.variables.map((v, k) => {
      const chart = new OverlayChart(`${v}: golden profile and runs`, 'hours from the exponential-phase start', v);
      chart.el.id = `overlay-${k}`;
      charts.append(h('section', { class: 'card chart-card' }, chart.el));
      const mean = p.mean.map((r) => r[k] ?? null);
      const sd = p.std.map((r) => r[k] ?? null);
      const edge = (sign: number) => mean.map((m, i) => (m === null || sd[i] === null ? null : m + sign * sd[i]!));
      const lines: OverlayLine[] = [
        { label: 'mean + 1 sd', x: p.elapsed_hours, y: edge(1), colour: '#7b8794', width: 1, dash: [4, 3] },
        { label: 'mean − 1 sd', x: p.elapsed_hours, y: edge(-1), colour: '#7b8794', width: 1, dash: [4, 3] },
        { label: 'golden mean', x: p.elapsed_hours, y: mean, colour: '#000000', width: 2.5 },
      ];
      let c = 0;
      for (const a of runs) {
        for (const [id, nm] of Object.entries(a.batch_names)) {
          const col = Object.keys(a.columns).find((x) => x.toLowerCase() === `${id}__${v}`.toLowerCase());
          if (!col) continue;
          const isSource = p.source_batch_ids.includes(id);
          lines.push({ label: isSource ? nm : `${nm} (scored)`, x: a.elapsed_hours, y: a.columns[col]!, colour: RUN_COLOURS[c++ % RUN_COLOURS.length]!, width: isSource ? 1.25 : 2, dash: isSource ? undefined : [8, 4] });
        }
      }
      chart.update(lines, [0, 1]);
      return chart;
    });
  };

  profileSel.addEventListener('change', () => void draw());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const variables = [...varsBox.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    if (state.compare.size < 2 || variables.length === 0) {
      status.textContent = 'Tick two or more batches and at least one variable.';
      return;
    }
    build.disabled = true;
    status.textContent = 'Building the golden profile…';
    const body = { batches: [...state.compare], variables, signal: signal.value || undefined, name: name.value.trim() || undefined, resolution_minutes: Number(resolution.value) || 15 };
    send<GoldenProfile>('POST', '/api/analytics/golden', body)
      .then(
        (p) => {
          status.textContent = `Built ${profileLabel(p, state.nameOf)} (${p.elapsed_hours.length} points).`;
          profileSel.value = ''; // the refresh that follows shows the newest profile
          state.addProfile(p);
        },
        (e: unknown) => {
          status.textContent = `Could not build the profile: ${errorText(e)}`;
          if (!(e instanceof HttpError && e.status === 401)) toast(`Golden profile: ${errorText(e)}`, true);
        },
      )
      .finally(() => (build.disabled = state.compare.size < 2));
  });

  return {
    el,
    refresh,
    resize: () => overlays.forEach((o) => o.resize()),
    destroy: () => overlays.forEach((o) => o.destroy()),
  };
}
