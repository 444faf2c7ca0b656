/**
 * The Analytics page's view of `/api/analytics` (leader/api/analytics.ts, leader/batches/service.ts): the
 * response shapes, and the state its parts share (the catalogue, the batch shown, the golden profiles).
 * Batches are always addressed by batch_id: names need not be unique, and a cluster run's name holds a `/`.
 */
import { enc, getJson } from '../api.js';

export const LIFECYCLES = ['planned', 'inoculated', 'running', 'harvested', 'aborted'] as const;

export interface Batch {
  batch_id: string;
  name: string;
  lifecycle: (typeof LIFECYCLES)[number];
  strain: string | null;
  media: string | null;
  scale_liters: number | null;
  operator: string | null;
  tags: string[];
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  source: 'import' | 'cluster';
}

export interface TelemetryRow {
  ts: string;
  elapsed_h: number | null;
  variable: string;
  value: number;
  unit: string | null;
}

export interface PhaseAnnotation {
  batch_id: string;
  phase_type: string;
  start_ts: string;
  end_ts: string;
  start_h: number;
  end_h: number;
  confidence: number;
  signal_variable: string;
  method: 'growth' | 'pelt' | 'bocpd' | 'streaming';
  /** Specific growth rate over the phase (1/h). */
  growth_rate: number | null;
}

export interface BatchMetrics {
  batch_id: string;
  phase_type: string;
  mu: number | null;
  r_squared: number | null;
  mu_std_err: number | null;
  mu_ci_low?: number | null;
  mu_ci_high?: number | null;
  signal_variable: string;
}

/** A stored golden profile without its grid (GET /api/analytics/golden). */
export interface GoldenProfileSummary {
  profile_id: string;
  name: string | null;
  signal: string;
  variables: string[];
  source_batch_ids: string[];
  created_at: string;
  points: number;
}

/** A whole golden profile (GET /api/analytics/golden/{id}, POST /api/analytics/golden). */
export interface GoldenProfile extends Omit<GoldenProfileSummary, 'points'> {
  elapsed_hours: number[];
  mean: (number | null)[][];
  std: (number | null)[][];
}

/** The golden profile chosen for an experiment (PUT /api/experiments/{exp}/golden_profile). */
export interface ChosenProfile {
  experiment: string;
  profile_id: string;
  profile_name: string | null;
  chosen_at: string;
}

/** GET /api/experiments/{exp}/scores: each unit's latest running score and its history. */
export interface LiveScores {
  profile: ChosenProfile | null;
  units: {
    pioreactor_unit: string;
    batch_id: string;
    profile_id: string;
    score: number;
    matched_h: number | null;
    scored_at: string;
    history: { scored_at: string; score: number; matched_h: number | null }[];
  }[];
}

export interface BatchScore {
  batch_id: string;
  profile_id: string;
  score: number;
  dtw_normalized_distance: number;
  variables: string[];
}

export interface Aligned {
  elapsed_hours: number[];
  /** `<batch_id>__<variable>` -> values on elapsed_hours */
  columns: Record<string, (number | null)[]>;
  batch_names: Record<string, string>;
}

export const batchPath = (id: string): string => `/api/analytics/batches/${enc(id)}`;

/** Each variable of a batch as `{x, y}` points (the shape TimeChart draws). */
export type SeriesByVariable = Map<string, { x: string; y: number }[]>;

export async function loadTelemetry(id: string): Promise<SeriesByVariable> {
  const rows = await getJson<TelemetryRow[]>(`${batchPath(id)}/telemetry`);
  const out: SeriesByVariable = new Map();
  for (const r of rows) {
    let s = out.get(r.variable);
    if (!s) out.set(r.variable, (s = []));
    s.push({ x: r.ts, y: r.value });
  }
  return out;
}

/** The leader's default phase signal: OD600, else a cluster run's od_filtered, od, biomass, else the first. */
export function defaultSignal(vars: readonly string[]): string | null {
  for (const v of ['OD600', 'od_filtered', 'od', 'biomass']) if (vars.includes(v)) return v;
  return vars[0] ?? null;
}

/** A number for a table cell: `digits` significant figures, an en dash when missing. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return String(Number(v.toPrecision(digits)));
}

export function profileLabel(p: Pick<GoldenProfileSummary, 'name' | 'source_batch_ids'>, nameOf: (id: string) => string): string {
  return p.name || `Profile of ${p.source_batch_ids.map(nameOf).join(' + ')}`;
}

/** Where the page kept the ids of the profiles it built before the leader listed them (dropped on load). */
const OLD_PROFILES_KEY = 'colony.analytics.profiles';

const summaryOf = (p: GoldenProfile): GoldenProfileSummary => ({
  profile_id: p.profile_id,
  name: p.name,
  signal: p.signal,
  variables: p.variables,
  source_batch_ids: p.source_batch_ids,
  created_at: p.created_at,
  points: p.elapsed_hours.length,
});

/** What the page's parts share: the catalogue, the batches ticked for comparison, the golden profiles. */
export class AnalyticsState {
  batches: Batch[] = [];
  readonly compare = new Set<string>();
  /** The leader's golden profiles, newest first. */
  profiles: GoldenProfileSummary[] = [];
  /** profile_id -> batch_id -> score */
  readonly scores = new Map<string, Map<string, BatchScore>>();
  private readonly vars = new Map<string, Promise<string[]>>();
  private readonly docs = new Map<string, Promise<GoldenProfile>>();
  private readonly listeners = new Set<() => void>();

  /** Called after any change to the batches, the comparison, the profiles or the scores. */
  onChange(f: () => void): void {
    this.listeners.add(f);
  }

  changed(): void {
    for (const f of this.listeners) f();
  }

  nameOf = (id: string): string => this.batches.find((b) => b.batch_id === id)?.name ?? id;

  /** A batch's variable names (read once per page visit). */
  variables(id: string): Promise<string[]> {
    let p = this.vars.get(id);
    if (!p) {
      p = loadTelemetry(id).then((s) => [...s.keys()]);
      p.catch(() => this.vars.delete(id));
      this.vars.set(id, p);
    }
    return p;
  }

  rememberVariables(id: string, names: string[]): void {
    this.vars.set(id, Promise.resolve(names));
  }

  /** The golden profiles stored on the leader (GET /api/analytics/golden). */
  async loadProfiles(): Promise<void> {
    this.profiles = await getJson<GoldenProfileSummary[]>('/api/analytics/golden');
    localStorage.removeItem(OLD_PROFILES_KEY);
  }

  /** A whole profile, with its grid (read once per page visit; profiles do not change). */
  profile(id: string): Promise<GoldenProfile> {
    let p = this.docs.get(id);
    if (!p) {
      p = getJson<GoldenProfile>(`/api/analytics/golden/${enc(id)}`);
      p.catch(() => this.docs.delete(id));
      this.docs.set(id, p);
    }
    return p;
  }

  /** A profile just built: first in the list. */
  addProfile(p: GoldenProfile): void {
    this.docs.set(p.profile_id, Promise.resolve(p));
    this.profiles = [summaryOf(p), ...this.profiles.filter((q) => q.profile_id !== p.profile_id)];
    this.changed();
  }

  addScore(s: BatchScore): void {
    let m = this.scores.get(s.profile_id);
    if (!m) this.scores.set(s.profile_id, (m = new Map()));
    m.set(s.batch_id, s);
    this.changed();
  }
}
