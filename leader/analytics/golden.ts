/**
 * Golden-batch profile (mean and population std per variable across reference runs on a common grid) and
 * scoring of a run against it by DTW. QUIRK fixed: SporeDB built the profile from an alignment holding
 * only the phase signal, so any other variable failed with "Missing columns"; here every aligned
 * variable can go in.
 */
import { alignRuns, columnName, type AlignedTable, type RunData } from './align.js';
import { dtw, dtwOpenEnd } from './dtw.js';

export interface GoldenProfile {
  variables: string[];
  elapsedHours: number[];
  /** T x V */
  mean: number[][];
  /** T x V, population (ddof 0) */
  std: number[][];
  sourceRuns: string[];
}

export function createGoldenProfile(aligned: AlignedTable, runNames: readonly string[], variables: readonly string[]): GoldenProfile {
  if (aligned.elapsedHours.length === 0 || runNames.length === 0 || variables.length === 0) {
    throw new Error('Golden profile needs a non-empty alignment, runs and variables');
  }
  const missing: string[] = [];
  for (const r of runNames) for (const v of variables) if (!aligned.columns[columnName(r, v)]) missing.push(columnName(r, v));
  if (missing.length) throw new Error(`Missing columns: ${missing.join(', ')}`);
  const T = aligned.elapsedHours.length;
  const mean: number[][] = [];
  const std: number[][] = [];
  for (let t = 0; t < T; t++) {
    const mr: number[] = [];
    const sr: number[] = [];
    for (const v of variables) {
      let s = 0;
      let s2 = 0;
      let c = 0;
      for (const r of runNames) {
        const x = aligned.columns[columnName(r, v)][t];
        if (Number.isNaN(x)) continue;
        s += x;
        c++;
      }
      const m = c ? s / c : NaN;
      for (const r of runNames) {
        const x = aligned.columns[columnName(r, v)][t];
        if (!Number.isNaN(x)) s2 += (x - m) * (x - m);
      }
      mr.push(m);
      sr.push(c ? Math.sqrt(s2 / c) : NaN);
    }
    mean.push(mr);
    std.push(sr);
  }
  return { variables: [...variables], elapsedHours: Array.from(aligned.elapsedHours), mean, std, sourceRuns: [...runNames] };
}

/** Align the runs (all their variables) on a uniform grid and build the profile in one call. */
export function buildGoldenProfile(
  runs: readonly RunData[],
  variables: readonly string[],
  opts: { resolutionMinutes?: number; anchorPhase?: RunData['phases'][number]['phase'] } = {},
): GoldenProfile {
  const aligned = alignRuns(runs, { variables, resolutionMinutes: opts.resolutionMinutes ?? 15, anchorPhase: opts.anchorPhase });
  return createGoldenProfile(
    aligned,
    runs.map((r) => r.name),
    variables,
  );
}

/** z-score each column (nanmean / nanstd ddof 0); columns with std <= 1e-10 become zeros. Row-major T x V. */
export function zscoreColumns(rows: readonly (readonly number[])[], dims: number): Float64Array {
  const T = rows.length;
  const out = new Float64Array(T * dims);
  for (let k = 0; k < dims; k++) {
    let s = 0;
    let c = 0;
    for (let t = 0; t < T; t++) {
      if (!Number.isNaN(rows[t][k])) {
        s += rows[t][k];
        c++;
      }
    }
    const m = s / c;
    let s2 = 0;
    for (let t = 0; t < T; t++) if (!Number.isNaN(rows[t][k])) s2 += (rows[t][k] - m) ** 2;
    const sd = Math.sqrt(s2 / c);
    for (let t = 0; t < T; t++) out[t * dims + k] = sd > 1e-10 ? (rows[t][k] - m) / sd : 0;
  }
  return out;
}

export interface BatchScore {
  score: number;
  dtwNormalizedDistance: number;
  dtwDistance: number;
  radius: number;
}

/** SporeDB's score: clamp(100 (1 - norm / maxDistance), 0, 100) to 2 decimals; NaN scores 0. */
export function scoreFromNormalizedDistance(norm: number, maxDistance = 2): number {
  const s = 100 * (1 - norm / maxDistance);
  if (Number.isNaN(s)) return 0;
  return Math.round(Math.min(100, Math.max(0, s)) * 100) / 100;
}

/**
 * Score a trajectory (T x V rows, variables in the profile's order) against the profile mean: z-score both
 * per column, exact DTW in a Sakoe-Chiba band of radius max(T/5, 10), normalise by max(T, T_ref).
 */
export function scoreAgainstProfile(profile: GoldenProfile, trajectory: readonly (readonly number[])[], maxDistance = 2): BatchScore {
  const V = profile.variables.length;
  if (trajectory.length && trajectory[0].length !== V) {
    throw new Error(`Trajectory has ${trajectory[0].length} variables, profile has ${V}`);
  }
  const T = trajectory.length;
  const Tr = profile.mean.length;
  const a = zscoreColumns(trajectory, V);
  const b = zscoreColumns(profile.mean, V);
  const radius = Math.max(Math.floor(T / 5), 10);
  const dist = dtw(a, b, V, radius);
  const norm = dist / Math.max(T, Tr);
  return {
    score: scoreFromNormalizedDistance(norm, maxDistance),
    dtwNormalizedDistance: Math.round(norm * 1e6) / 1e6,
    dtwDistance: dist,
    radius,
  };
}

export interface RunningScore extends BatchScore {
  /** Elapsed hours on the profile's axis that the run has reached (the end of the best-matching prefix). */
  matchedHours: number;
  /** How many profile points that prefix holds. */
  matchedPoints: number;
}

/**
 * The score so far of a run that is still growing (trajectory T x V, variables in the profile's order,
 * typically binned to the profile's resolution). Both are z-scored with the PROFILE's column statistics (a
 * short, flat lag-phase trajectory z-scored by its own would turn noise into shape), then warped with
 * open-end DTW onto every prefix of the profile mean, in a band of max(T/5, 2) grid steps around equal
 * elapsed time (SporeDB's T/5, with a floor of 2 rather than 10: on a coarse profile grid 10 steps would be hours
 * of slack, enough for a stalled run to match the reference's lag); the prefix with the smallest distance normalised by max(T, prefix length)
 * is the position reached, and its distance gives the score on SporeDB's scale. When the
 * run is complete this measures the same thing as scoreAgainstProfile, against the whole profile or less.
 */
export function scoreSoFar(profile: GoldenProfile, trajectory: readonly (readonly number[])[], maxDistance = 2): RunningScore {
  const V = profile.variables.length;
  if (trajectory.length && trajectory[0].length !== V) throw new Error(`Trajectory has ${trajectory[0].length} variables, profile has ${V}`);
  const T = trajectory.length;
  const Tr = profile.mean.length;
  if (T === 0 || Tr === 0) throw new Error('Running score needs samples and a non-empty profile');
  const mu = new Float64Array(V);
  const sd = new Float64Array(V);
  for (let k = 0; k < V; k++) {
    let s = 0;
    let c = 0;
    for (const row of profile.mean) {
      if (!Number.isFinite(row[k])) continue;
      s += row[k];
      c++;
    }
    mu[k] = c ? s / c : 0;
    let s2 = 0;
    for (const row of profile.mean) if (Number.isFinite(row[k])) s2 += (row[k] - mu[k]) ** 2;
    sd[k] = c ? Math.sqrt(s2 / c) : 0;
  }
  const z = (rows: readonly (readonly number[])[]) => {
    const out = new Float64Array(rows.length * V);
    rows.forEach((row, t) => {
      for (let k = 0; k < V; k++) out[t * V + k] = sd[k] > 1e-10 ? (row[k] - mu[k]) / sd[k] : 0;
    });
    return out;
  };
  const radius = Math.max(Math.floor(T / 5), 2);
  const last = dtwOpenEnd(z(trajectory), z(profile.mean), V, radius);
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
    score: scoreFromNormalizedDistance(bestNorm, maxDistance),
    dtwNormalizedDistance: Math.round(bestNorm * 1e6) / 1e6,
    dtwDistance: last[bestJ],
    radius,
    matchedHours: profile.elapsedHours[bestJ],
    matchedPoints: bestJ + 1,
  };
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
