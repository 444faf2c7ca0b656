/**
 * Golden-batch profile (mean and population std per variable across reference runs on a common grid) and
 * scoring of a run against it by DTW. QUIRK fixed: SporeDB built the profile from an alignment holding
 * only the phase signal, so any other variable failed with "Missing columns"; here every aligned
 * variable can go in.
 */
import { alignRuns, columnName, type AlignedTable, type RunData } from './align.js';
import { dtwDistance } from './dtw.js';

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
  const dist = dtwDistance(a, b, V, radius);
  const norm = dist / Math.max(T, Tr);
  return {
    score: scoreFromNormalizedDistance(norm, maxDistance),
    dtwNormalizedDistance: Math.round(norm * 1e6) / 1e6,
    dtwDistance: dist,
    radius,
  };
}
