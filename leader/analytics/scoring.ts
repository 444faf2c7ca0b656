/**
 * Scoring a run against a golden profile (golden.ts). Both the run and the profile mean are z-scored per
 * variable with the PROFILE's statistics (mean and population sd of its mean trajectory over time), so a run
 * that reaches half the golden biomass is off by as much as it looks (SporeDB z-scored each side by its own
 * statistics, which made any sigmoid look like any other); then DTW (dtw.ts: exact below 4e6 cells, else a
 * band of max(T/5, 10) widened by the length difference), normalised by max(T, T_ref) as SporeDB does.
 * The trajectory should be on the profile's grid (binTrajectory), as in the calibration.
 *
 * The 0-100 score (see calibratedScore):
 *  - calibrated profile: score = 100 * 2^(-(d / 2s)^2), where d is the run's normalised distance and s the
 *    root mean square of the golden runs' leave-one-out distances (each golden run against the profile of
 *    the others). A run as far from the profile as a golden run typically is from its peers' profile scores
 *    84, twice as far 50, three times 21, four times 6; a perfect match 100.
 *  - uncalibrated profile (one source run, or a document stored before calibration): SporeDB's
 *    clamp(100 (1 - d / maxDistance), 0, 100), maxDistance 2 by default.
 */
import { dtw, dtwOpenEnd } from './dtw.js';
import type { GoldenProfile, ScoreCalibration } from './golden.js';

export interface BatchScore {
  score: number;
  dtwNormalizedDistance: number;
  dtwDistance: number;
  radius: number;
  /** How the score was scaled. */
  scale: 'leave-one-out' | 'sporedb';
}

/** SporeDB's score: clamp(100 (1 - norm / maxDistance), 0, 100) to 2 decimals; NaN scores 0. */
export function scoreFromNormalizedDistance(norm: number, maxDistance = 2): number {
  const s = 100 * (1 - norm / maxDistance);
  if (Number.isNaN(s)) return 0;
  return Math.round(Math.min(100, Math.max(0, s)) * 100) / 100;
}

function usable(cal: ScoreCalibration | undefined): cal is ScoreCalibration {
  return !!cal && Number.isFinite(cal.scale) && cal.scale > 0;
}

/** The module comment's rule: 100 * 2^(-(d / 2s)^2) with a calibration, SporeDB's clamp without; NaN scores 0. */
export function calibratedScore(norm: number, cal?: ScoreCalibration, maxDistance = 2): number {
  if (!usable(cal)) return scoreFromNormalizedDistance(norm, maxDistance);
  if (Number.isNaN(norm)) return 0;
  const q = norm / (2 * cal.scale);
  return Math.round(100 * Math.pow(2, -q * q) * 100) / 100;
}

/** Per-variable mean and population sd of the profile's mean trajectory (finite rows only). */
export function profileStats(profile: GoldenProfile): { mu: Float64Array; sd: Float64Array } {
  const V = profile.variables.length;
  const mu = new Float64Array(V);
  const sd = new Float64Array(V);
  for (let k = 0; k < V; k++) {
    const col = profile.mean.map((r) => r[k]).filter(Number.isFinite);
    mu[k] = col.length ? col.reduce((a, b) => a + b, 0) / col.length : 0;
    sd[k] = col.length ? Math.sqrt(col.reduce((a, b) => a + (b - mu[k]) ** 2, 0) / col.length) : 0;
  }
  return { mu, sd };
}

/** Rows (T x V) z-scored with the profile's statistics, row-major; a variable with sd <= 1e-10 becomes 0. */
function zscore(rows: readonly (readonly number[])[], st: { mu: Float64Array; sd: Float64Array }): Float64Array {
  const V = st.mu.length;
  const out = new Float64Array(rows.length * V);
  rows.forEach((row, t) => {
    for (let k = 0; k < V; k++) out[t * V + k] = st.sd[k] > 1e-10 ? (row[k] - st.mu[k]) / st.sd[k] : 0;
  });
  return out;
}

function checkShape(profile: GoldenProfile, trajectory: readonly (readonly number[])[]): void {
  const V = profile.variables.length;
  if (trajectory.length && trajectory[0].length !== V) throw new Error(`Trajectory has ${trajectory[0].length} variables, profile has ${V}`);
}

/** Normalised DTW distance of a whole run (T x V rows, the profile's variable order) to the profile mean. */
export function profileDistance(profile: GoldenProfile, trajectory: readonly (readonly number[])[]): { distance: number; norm: number; radius: number } {
  checkShape(profile, trajectory);
  const st = profileStats(profile);
  const T = trajectory.length;
  const radius = Math.max(Math.floor(T / 5), 10);
  const distance = dtw(zscore(trajectory, st), zscore(profile.mean, st), profile.variables.length, radius);
  return { distance, norm: distance / Math.max(T, profile.mean.length), radius };
}

/** Score a complete run (T x V rows, variables in the profile's order, on the profile's grid) against the profile. */
export function scoreAgainstProfile(profile: GoldenProfile, trajectory: readonly (readonly number[])[], maxDistance = 2): BatchScore {
  const d = profileDistance(profile, trajectory);
  return {
    score: calibratedScore(d.norm, profile.calibration, maxDistance),
    dtwNormalizedDistance: Math.round(d.norm * 1e6) / 1e6,
    dtwDistance: d.distance,
    radius: d.radius,
    scale: usable(profile.calibration) ? 'leave-one-out' : 'sporedb',
  };
}

export interface RunningScore extends BatchScore {
  /** Elapsed hours on the profile's axis that the run has reached (the end of the best-matching prefix). */
  matchedHours: number;
  /** How many profile points that prefix holds. */
  matchedPoints: number;
}

/**
 * The score so far of a run that is still growing (trajectory T x V on the profile's grid). z-scored like
 * scoreAgainstProfile, then warped with open-end DTW onto every prefix of the profile mean, in a band of
 * max(T/5, 2) grid steps around equal elapsed time (a floor of 2 rather than 10: on a coarse profile grid 10
 * steps would be hours of slack, enough for a stalled run to match the reference's lag); the prefix with the
 * smallest distance normalised by max(T, prefix length) is the position reached, and its distance gives the
 * score on the same scale as a complete run (calibratedScore).
 */
export function scoreSoFar(profile: GoldenProfile, trajectory: readonly (readonly number[])[], maxDistance = 2): RunningScore {
  checkShape(profile, trajectory);
  const T = trajectory.length;
  const Tr = profile.mean.length;
  if (T === 0 || Tr === 0) throw new Error('Running score needs samples and a non-empty profile');
  const st = profileStats(profile);
  const radius = Math.max(Math.floor(T / 5), 2);
  const last = dtwOpenEnd(zscore(trajectory, st), zscore(profile.mean, st), profile.variables.length, radius);
  let bestJ = 0;
  let bestNorm = Infinity;
  for (let j = 0; j < Tr; j++) {
    const norm = last[j] / Math.max(T, j + 1);
    if (norm < bestNorm) {
      bestNorm = norm;
      bestJ = j;
    }
  }
  if (!Number.isFinite(bestNorm)) throw new Error('Running score: no alignment of the run with the profile');
  return {
    score: calibratedScore(bestNorm, profile.calibration, maxDistance),
    dtwNormalizedDistance: Math.round(bestNorm * 1e6) / 1e6,
    dtwDistance: last[bestJ],
    radius,
    scale: usable(profile.calibration) ? 'leave-one-out' : 'sporedb',
    matchedHours: profile.elapsedHours[bestJ],
    matchedPoints: bestJ + 1,
  };
}

/** Grid step of a profile in hours (0.25 when it has a single point). */
export function profileStepHours(profile: Pick<GoldenProfile, 'elapsedHours'>): number {
  const h = profile.elapsedHours;
  return h.length > 1 ? h[1] - h[0] : 0.25;
}

/**
 * Average raw samples (ts ms, T x V values, ascending) into bins of `stepHours` from the first sample, the
 * profile's grid spacing, so a 5-second stream becomes a trajectory as coarse as the profile. Bins where a
 * variable has no sample carry the previous bin's value; bins before any value of every variable are dropped.
 */
export function binTrajectory(samples: readonly { ts: number; values: readonly number[] }[], stepHours: number): number[][] {
  if (samples.length === 0 || !(stepHours > 0)) return [];
  const V = samples[0].values.length;
  const t0 = samples[0].ts;
  const stepMs = stepHours * 3_600_000;
  const sums = new Map<number, { s: number[]; c: number[] }>();
  for (const { ts, values } of samples) {
    const b = Math.floor((ts - t0) / stepMs);
    let acc = sums.get(b);
    if (!acc) sums.set(b, (acc = { s: new Array<number>(V).fill(0), c: new Array<number>(V).fill(0) }));
    for (let k = 0; k < V; k++) {
      if (!Number.isFinite(values[k])) continue;
      acc.s[k] += values[k];
      acc.c[k]++;
    }
  }
  const last = Math.max(...sums.keys());
  const out: number[][] = [];
  let carry = new Array<number>(V).fill(NaN);
  for (let b = 0; b <= last; b++) {
    const acc = sums.get(b);
    const row = carry.map((v, k) => (acc && acc.c[k] ? acc.s[k] / acc.c[k] : v));
    carry = row;
    if (row.every(Number.isFinite)) out.push(row);
  }
  return out;
}
