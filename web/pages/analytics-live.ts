/**
 * Live scores of the current experiment: the golden profile its runs are scored against as they grow (PUT / DELETE
 * /api/experiments/{exp}/golden_profile), a score of every run at once (POST .../scores), and each unit's latest
 * running score with the profile hours it has reached and how many scores the leader keeps (GET .../scores, read
 * again every 10 s while the page is open). The leader scores on its own every `[leader]
 * live_score_interval_seconds` (leader/batches/live-scores.ts).
 */
import { enc, getJson, HttpError, send, type Experiment } from '../api.js';
import { fmtTime, h, toast } from '../dom.js';
import { AnalyticsState, fmt, profileLabel, type ChosenProfile, type LiveScores } from './analytics-data.js';

export const LIVE_REFRESH_MS = 10_000;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const unauthorized = (e: unknown) => e instanceof HttpError && e.status === 401;

export interface LiveView {
  el: HTMLElement;
  /** The list of profiles changed. */
  refresh(): void;
  /** First read of the scores, then one every LIVE_REFRESH_MS. */
  start(): Promise<void>;
  destroy(): void;
}

export function liveView(state: AnalyticsState, exp: Experiment | null): LiveView {
  const title = h('h2', { id: 'live-title' }, exp ? `Live scores of ${exp.experiment}` : 'Live scores');
  if (!exp) {
    const el = h(
      'section',
      { class: 'card', id: 'live', 'aria-labelledby': 'live-title' },
      title,
      h('p', { class: 'muted' }, 'There is no current experiment: create or choose one on the Experiments page to score its runs as they grow.'),
    );
    return { el, refresh: () => undefined, start: async () => undefined, destroy: () => undefined };
  }
  const e = exp.experiment;
  const base = `/api/experiments/${enc(e)}`;

  const profileSel = h('select', { id: 'live-profile' });
  const use = h('button', { type: 'submit', id: 'live-use' }, 'Use this profile');
  const scoreNow = h('button', { type: 'button', id: 'live-score-now' }, 'Score now');
  const stop = h('button', { type: 'button', id: 'live-stop' }, 'Stop scoring');
  const status = h('p', { id: 'live-status', role: 'status' });
  const result = h('p', { id: 'live-result', class: 'muted', role: 'status' });
  const rows = h('tbody');
  const form = h(
    'form',
    { id: 'live-form', class: 'an-form' },
    h('label', { for: 'live-profile' }, `Golden profile for ${e}`),
    profileSel,
    use,
    scoreNow,
    stop,
  );
  const el = h(
    'section',
    { class: 'card', id: 'live', 'aria-labelledby': 'live-title' },
    title,
    h('p', { class: 'muted' }, `Choose a golden profile for ${e}: the leader then scores each unit's run against it as the run grows, and keeps every score. The table is read again every ${LIVE_REFRESH_MS / 1000} s.`),
    form,
    status,
    result,
    h(
      'div',
      { class: 'an-scroll' },
      h(
        'table',
        { class: 'list', id: 'live-scores' },
        h('caption', {}, `Latest running score of each unit of ${e}`),
        h('thead', {}, h('tr', {}, ...['Unit', 'Score (of 100)', 'Profile hours reached', 'Scored', 'Scores stored'].map((c) => h('th', { scope: 'col' }, c)))),
        rows,
      ),
    ),
  );

  let data: LiveScores = { profile: null, units: [] };
  /** A profile picked in the list but not used yet (kept across refreshes). */
  let pending: string | null = null;
  let busy = false;
  let stopped = false;
  let timer: number | undefined;
  let token = 0;

  const labelOf = (id: string, c: ChosenProfile | null) => {
    const p = state.profiles.find((q) => q.profile_id === id);
    return p ? profileLabel(p, state.nameOf) : (c?.profile_name ?? `Profile ${id}`);
  };

  const render = () => {
    const chosen = data.profile;
    const ids = state.profiles.map((p) => p.profile_id);
    if (chosen && !ids.includes(chosen.profile_id)) ids.push(chosen.profile_id);
    const want = pending && ids.includes(pending) ? pending : (chosen?.profile_id ?? ids[0] ?? '');
    profileSel.replaceChildren(
      ...ids.map((id) => h('option', { value: id, selected: id === want }, `${labelOf(id, chosen)}${id === chosen?.profile_id ? ' (in use)' : ''}`)),
    );
    profileSel.disabled = ids.length === 0;
    use.disabled = busy || ids.length === 0;
    scoreNow.disabled = busy || !chosen;
    stop.disabled = busy || !chosen;
    status.textContent = chosen
      ? `The runs of ${e} are scored against ${labelOf(chosen.profile_id, chosen)} (chosen ${fmtTime(chosen.chosen_at)}).`
      : ids.length
        ? `No golden profile is chosen for ${e}.`
        : `No golden profile is chosen for ${e}: build one above first.`;

    const units = [...data.units].sort((a, b) => a.pioreactor_unit.localeCompare(b.pioreactor_unit));
    rows.replaceChildren(
      ...units.map((u) =>
        h(
          'tr',
          { 'data-unit': u.pioreactor_unit },
          h('th', { scope: 'row' }, u.pioreactor_unit),
          h('td', { class: 'score', 'data-score': u.score }, fmt(u.score, 4)),
          h('td', { class: 'matched', 'data-hours': u.matched_h ?? '' }, u.matched_h === null ? '–' : `${fmt(u.matched_h, 3)} h`),
          h('td', { title: u.scored_at }, fmtTime(u.scored_at)),
          h('td', { class: 'stored' }, String(u.history.length)),
        ),
      ),
    );
    if (units.length === 0) {
      rows.append(
        h(
          'tr',
          {},
          h('td', { colspan: 5 }, chosen ? 'No scores yet: a run is scored once its samples span two steps of the profile.' : 'Choose a golden profile to score the runs.'),
        ),
      );
    }
  };

  const load = async () => {
    const my = ++token;
    try {
      const d = await getJson<LiveScores>(`${base}/scores`);
      if (stopped || my !== token) return;
      data = d;
      render();
    } catch (err) {
      if (stopped || my !== token || unauthorized(err)) return;
      result.textContent = `Scores: ${errorText(err)}`;
    }
  };

  /** One action on the leader, then the scores read again. */
  const act = async (what: string, f: () => Promise<string>) => {
    busy = true;
    render();
    try {
      result.textContent = await f();
    } catch (err) {
      if (unauthorized(err)) return;
      result.textContent = `${what}: ${errorText(err)}`;
      toast(`${what}: ${errorText(err)}`, true);
    } finally {
      busy = false;
      if (!stopped) await load();
      render();
    }
  };

  profileSel.addEventListener('change', () => (pending = profileSel.value || null));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = profileSel.value;
    if (!id) return;
    void act('Choose the profile', async () => {
      const c = await send<ChosenProfile>('PUT', `${base}/golden_profile`, { profile: id });
      pending = null;
      data = { ...data, profile: c };
      return `${labelOf(c.profile_id, c)} is now used for ${e}. Its runs are scored as they grow, or press Score now.`;
    });
  });
  scoreNow.addEventListener('click', () => {
    void act('Score now', async () => {
      const out = await send<unknown[]>('POST', `${base}/scores`, {});
      const n = out.length;
      return n ? `Scored ${n} run${n === 1 ? '' : 's'} at ${new Date().toLocaleTimeString()}.` : 'No run has enough samples to be scored yet.';
    });
  });
  stop.addEventListener('click', () => {
    void act('Stop scoring', async () => {
      await send<null>('DELETE', `${base}/golden_profile`);
      return `The runs of ${e} are no longer scored; the scores stay stored.`;
    });
  });

  return {
    el,
    refresh: render,
    async start() {
      render();
      await load();
      if (!stopped) timer = window.setInterval(() => void load(), LIVE_REFRESH_MS);
    },
    destroy() {
      stopped = true;
      window.clearInterval(timer);
    },
  };
}
