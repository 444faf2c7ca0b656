/**
 * Growth phases in growth terms, on the specific growth rate mu = d ln X / dt and its maximum M (one rule,
 * used by the offline detector in phases.ts, by the BOCPD segments of the batch service and by the streaming
 * labeller of a live culture):
 *  - lag: until the rate first reaches EXPONENTIAL_FRACTION (50 %) of M;
 *  - exponential: while the rate stays at or above 50 % of M;
 *  - deceleration: growing, but below 50 % of M and above STATIONARY_FRACTION (10 %) of it;
 *  - stationary: |rate| within 10 % of M (near zero);
 *  - decline: rate below -10 % of M (the culture is shrinking).
 * There is growth (an exponential phase) only when M >= MIN_EXPONENTIAL_RATE; without it a run is all lag.
 * Phases shorter than a minimum duration are absorbed into the longer neighbour (noise on a plateau does
 * not make a phase), adjacent phases with the same label merge, and `unknown` is kept for segments with too
 * few points to estimate a rate.
 */
import type { PhaseType } from './types.js';

export const EXPONENTIAL_FRACTION = 0.5;
export const STATIONARY_FRACTION = 0.1;
/** 1/h: below this the culture is not growing exponentially at all. */
export const MIN_EXPONENTIAL_RATE = 0.02;

export interface GrowthPhaseRules {
  exponentialFraction: number;
  stationaryFraction: number;
  minExponentialRate: number;
}

export const DEFAULT_GROWTH_RULES: GrowthPhaseRules = {
  exponentialFraction: EXPONENTIAL_FRACTION,
  stationaryFraction: STATIONARY_FRACTION,
  minExponentialRate: MIN_EXPONENTIAL_RATE,
};

/** The phase a rate belongs to once growth has started (the lag rule needs the history, see labelGrowthRates). */
export function classifyRate(rate: number, muMax: number, rules: GrowthPhaseRules = DEFAULT_GROWTH_RULES): PhaseType {
  if (!Number.isFinite(rate) || !(muMax > 0)) return 'unknown';
  if (rate >= rules.exponentialFraction * muMax) return 'exponential';
  if (rate < -rules.stationaryFraction * muMax) return 'decline';
  if (rate <= rules.stationaryFraction * muMax) return 'stationary';
  return 'deceleration';
}

export interface LabelRun {
  phase: PhaseType;
  start: number;
  /** exclusive */
  end: number;
}

/** Runs of equal labels. */
export function runsOf(labels: readonly PhaseType[]): LabelRun[] {
  const out: LabelRun[] = [];
  labels.forEach((p, i) => {
    const last = out[out.length - 1];
    if (last && last.phase === p) last.end = i + 1;
    else out.push({ phase: p, start: i, end: i + 1 });
  });
  return out;
}

/**
 * Labels for a sequence of rates at times `hours` (ascending): classify each, absorb runs shorter than
 * minPhaseHours into their longer neighbour (shortest first), then everything before the first exponential
 * run is lag. Samples with an unknown rate take their neighbours' label. M <= minExponentialRate: all lag.
 */
export function labelGrowthRates(
  hours: ArrayLike<number>,
  rates: ArrayLike<number>,
  muMax: number,
  minPhaseHours: number,
  rules: GrowthPhaseRules = DEFAULT_GROWTH_RULES,
): PhaseType[] {
  const n = rates.length;
  if (!(muMax >= rules.minExponentialRate)) return new Array<PhaseType>(n).fill('lag');
  const labels = Array.from({ length: n }, (_, i) => classifyRate(rates[i], muMax, rules));
  // unknown samples (no rate) take the label before them, or after at the start
  for (let i = 1; i < n; i++) if (labels[i] === 'unknown') labels[i] = labels[i - 1];
  for (let i = n - 2; i >= 0; i--) if (labels[i] === 'unknown') labels[i] = labels[i + 1];
  // a run lasts from its first sample to the next run's first (the last run: one more sample step)
  const endHour = (e: number) => (e < n ? hours[e] : hours[n - 1] + (n > 1 ? hours[n - 1] - hours[n - 2] : 0));
  const dur = (r: LabelRun) => endHour(r.end) - hours[r.start];
  const runs = runsOf(labels);
  while (runs.length > 1) {
    let k = -1;
    for (let j = 0; j < runs.length; j++) if (dur(runs[j]) < minPhaseHours && (k < 0 || dur(runs[j]) < dur(runs[k]))) k = j;
    if (k < 0) break;
    const prev = runs[k - 1];
    const next = runs[k + 1];
    const into = !prev ? next : !next ? prev : dur(prev) >= dur(next) ? prev : next;
    into.start = Math.min(into.start, runs[k].start);
    into.end = Math.max(into.end, runs[k].end);
    runs.splice(k, 1);
    // the absorbing run may now touch a run of its own label
    const j = runs.indexOf(into);
    for (const nb of [runs[j + 1], runs[j - 1]]) {
      if (nb && nb.phase === into.phase) {
        into.start = Math.min(into.start, nb.start);
        into.end = Math.max(into.end, nb.end);
        runs.splice(runs.indexOf(nb), 1);
      }
    }
  }
  for (const r of runs) for (let i = r.start; i < r.end; i++) labels[i] = r.phase;
  const firstExp = labels.indexOf('exponential');
  for (let i = 0; i < (firstExp < 0 ? n : firstExp); i++) labels[i] = 'lag';
  return labels;
}
