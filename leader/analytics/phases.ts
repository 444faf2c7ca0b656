/**
 * Offline phase detection in growth terms (rules in growth-phases.ts): estimate the specific growth rate
 * mu(t) = d ln X / dt at every sample (growth-rate.ts), label each sample by the rules, absorb phases
 * shorter than half the rate window, and return the runs of equal labels as segments. This replaces
 * SporeDB's labelling of PELT segments (exponential = the one segment with the steepest raw slope, anything
 * else with a slope above 10 % `unknown`), which on the demo runs gave 9 change points, 6 of 10 segments
 * `unknown` and a 1.5 h "exponential" phase, so its mu sat well below the run's maximum growth rate.
 *
 * Each segment carries its specific growth rate (OLS of ln X on hours over the segment, 1/h) and a
 * confidence: the share of its samples whose own rate falls in the segment's class (lag: below the
 * exponential threshold). The exponential segment carries mu_max (the largest windowed rate inside it) with
 * its standard error and 95 % confidence interval. Segments share boundary timestamps like SporeDB:
 * endTs = ts[min(endIndex, n - 1)].
 */
import { autoWindowHours, maxGrowthRate, slidingGrowthRate, type MaxGrowthRate } from './growth-rate.js';
import { classifyRate, DEFAULT_GROWTH_RULES, labelGrowthRates, runsOf, type GrowthPhaseRules } from './growth-phases.js';
import { specificGrowthRate } from './metrics.js';
import { MS_PER_HOUR, type PhaseSegment } from './types.js';

export interface DetectPhasesOptions {
  /** Width of the growth-rate window (default: autoWindowHours). */
  windowHours?: number;
  /** Phases shorter than this are absorbed (default: half the window). */
  minPhaseHours?: number;
  /** Segments with fewer samples are `unknown` (default 3). */
  minPoints?: number;
  rules?: Partial<GrowthPhaseRules>;
  signalVariable?: string;
}

export interface GrowthPhases {
  segments: PhaseSegment[];
  /** Largest growth rate of the run (null when no window holds enough points). */
  muMax: MaxGrowthRate | null;
  windowHours: number;
}

/** Specific growth rate (1/h) over samples [s, e): OLS of ln X on hours; NaN with < 2 usable points. */
export function segmentGrowthRate(ts: ArrayLike<number>, values: ArrayLike<number>, s: number, e: number): number {
  const h: number[] = [];
  const x: number[] = [];
  for (let i = s; i < Math.min(e, values.length); i++) {
    if (values[i] > 0 && Number.isFinite(values[i])) {
      h.push((ts[i] - ts[s]) / MS_PER_HOUR);
      x.push(values[i]);
    }
  }
  if (h.length < 2 || h[h.length - 1] === h[0]) return NaN;
  return specificGrowthRate(h, x).mu;
}

/** Phases, the run's mu_max and the rate window (see the module comment). `ts` epoch ms ascending. */
export function detectGrowthPhases(ts: ArrayLike<number>, values: ArrayLike<number>, opts: DetectPhasesOptions = {}): GrowthPhases {
  const n = values.length;
  if (ts.length !== n) throw new Error('ts and values differ in length');
  const rules = { ...DEFAULT_GROWTH_RULES, ...opts.rules };
  const minPoints = Math.max(opts.minPoints ?? 3, 2);
  const windowHours = opts.windowHours ?? autoWindowHours(ts, values);
  const profile = slidingGrowthRate(ts, values, windowHours);
  const muMax = maxGrowthRate(profile);
  const M = muMax?.mu ?? NaN;
  const hours = Float64Array.from({ length: n }, (_, i) => (ts[i] - ts[0]) / MS_PER_HOUR);
  const labels = n < 2 * minPoints ? new Array(n).fill('unknown') : labelGrowthRates(hours, profile.rate, M, opts.minPhaseHours ?? windowHours / 2, rules);
  const signal = opts.signalVariable ?? 'OD600';
  const segments = runsOf(labels).map((r): PhaseSegment => {
    const phase = r.end - r.start < minPoints ? 'unknown' : r.phase;
    let agree = 0;
    for (let i = r.start; i < r.end; i++) {
      const c = classifyRate(profile.rate[i], M, rules);
      if (phase === 'lag' ? c !== 'exponential' : c === phase) agree++;
    }
    const rate = segmentGrowthRate(ts, values, r.start, r.end);
    const metadata: PhaseSegment['metadata'] = { growth_rate: rate, signal_variable: signal, method: 'growth', window_hours: windowHours };
    if (phase === 'exponential') {
      const m = maxGrowthRate(profile, r.start, r.end);
      if (m) Object.assign(metadata, { mu_max: m.mu, mu_max_std_err: m.stdErr, mu_max_r_squared: m.rSquared, mu_max_ci_low: m.ciLow, mu_max_ci_high: m.ciHigh });
    }
    return {
      phase,
      startIndex: r.start,
      endIndex: r.end,
      startTs: ts[r.start],
      endTs: ts[Math.min(r.end, n - 1)],
      growthRatePerHour: rate,
      confidence: r.end > r.start ? agree / (r.end - r.start) : 0,
      metadata,
    };
  });
  return { segments, muMax, windowHours };
}

/**
 * Label the segments between change points (e.g. BOCPD's) with the same rules: each segment's specific
 * growth rate against the largest of them (segments of fewer than minPoints samples have no rate and take
 * their neighbours' label), adjacent equal labels merged; a merged segment still shorter is `unknown`.
 */
export function labelChangepointSegments(
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  changepoints: readonly number[],
  opts: { minPoints?: number; rules?: Partial<GrowthPhaseRules> } = {},
): { phase: PhaseSegment['phase']; startIndex: number; endIndex: number; growthRatePerHour: number }[] {
  const n = values.length;
  const minPoints = Math.max(opts.minPoints ?? 3, 2);
  const bounds = [0, ...changepoints.filter((c) => c > 0 && c < n), n].filter((v, i, a) => i === 0 || v > a[i - 1]);
  const segs = bounds.slice(0, -1).map((s, k) => ({ s, e: bounds[k + 1] }));
  const rates = segs.map(({ s, e }) => (e - s >= minPoints ? segmentGrowthRate(ts, values, s, e) : NaN));
  const M = Math.max(...rates.filter(Number.isFinite), -Infinity);
  const labels = labelGrowthRates(
    segs.map(({ s }) => (ts[s] - ts[0]) / MS_PER_HOUR),
    rates,
    M,
    0,
    { ...DEFAULT_GROWTH_RULES, ...opts.rules },
  );
  return runsOf(labels).map((r) => {
    const s = segs[r.start].s;
    const e = segs[r.end - 1].e;
    return { phase: e - s < minPoints ? 'unknown' : r.phase, startIndex: s, endIndex: e, growthRatePerHour: segmentGrowthRate(ts, values, s, e) };
  });
}

/** detectGrowthPhases' segments. */
export function detectPhases(ts: ArrayLike<number>, values: ArrayLike<number>, opts: DetectPhasesOptions = {}): PhaseSegment[] {
  return detectGrowthPhases(ts, values, opts).segments;
}
