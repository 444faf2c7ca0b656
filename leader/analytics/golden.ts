/**
 * Golden-batch profile: mean and population std per variable across reference runs on a common grid, and
 * how many runs have data at each grid time. QUIRKs fixed:
 *  - SporeDB built the profile from an alignment holding only the phase signal, so any other variable
 *    failed with "Missing columns"; here every aligned variable can go in;
 *  - SporeDB's alignment carried an ended run's last value forward, so the profile's tail was the mean of
 *    runs that had stopped. Here each grid time uses only the runs with data there (alignRuns leaves NaN
 *    past a run's last sample), `count` says how many, and the profile keeps only the grid times where at
 *    least min(2, runs) runs have data: it ends where fewer than two runs remain (and starts likewise).
 * Scoring against a profile is in scoring.ts; the calibration of its scores in golden-calibration.ts.
 */
import { alignRuns, columnName, type AlignedTable, type RunData } from './align.js';

/** How scores against a profile are calibrated (golden-calibration.ts). */
export interface ScoreCalibration {
  method: 'leave-one-out';
  /** Normalised DTW distance of each source run to the profile of the other source runs. */
  distances: number[];
  /** Root mean square of `distances`: the golden runs' own spread. */
  scale: number;
}

export interface GoldenProfile {
  variables: string[];
  elapsedHours: number[];
  /** T x V */
  mean: number[][];
  /** T x V, population (ddof 0) */
  std: number[][];
  /** T x V: runs with data at that time (absent on documents stored before it existed). */
  count?: number[][];
  sourceRuns: string[];
  /** Absent: scores use SporeDB's uncalibrated scale (scoring.ts). */
  calibration?: ScoreCalibration;
}

export function createGoldenProfile(aligned: AlignedTable, runNames: readonly string[], variables: readonly string[]): GoldenProfile {
  if (aligned.elapsedHours.length === 0 || runNames.length === 0 || variables.length === 0) {
    throw new Error('Golden profile needs a non-empty alignment, runs and variables');
  }
  const missing: string[] = [];
  for (const r of runNames) for (const v of variables) if (!aligned.columns[columnName(r, v)]) missing.push(columnName(r, v));
  if (missing.length) throw new Error(`Missing columns: ${missing.join(', ')}`);
  const minRuns = Math.min(2, runNames.length);
  const out: GoldenProfile = { variables: [...variables], elapsedHours: [], mean: [], std: [], count: [], sourceRuns: [...runNames] };
  for (let t = 0; t < aligned.elapsedHours.length; t++) {
    const mr: number[] = [];
    const sr: number[] = [];
    const cr: number[] = [];
    for (const v of variables) {
      const xs = runNames.map((r) => aligned.columns[columnName(r, v)][t]).filter((x) => !Number.isNaN(x));
      const m = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
      mr.push(m);
      sr.push(xs.length ? Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / xs.length) : NaN);
      cr.push(xs.length);
    }
    if (cr.some((c) => c < minRuns)) continue;
    out.elapsedHours.push(aligned.elapsedHours[t]);
    out.mean.push(mr);
    out.std.push(sr);
    out.count!.push(cr);
  }
  if (out.elapsedHours.length === 0) throw new Error(`Golden profile: no grid time where ${minRuns} runs have data of ${variables.join(', ')}`);
  return out;
}

/** Align the runs (all their variables) on a uniform grid and build the profile in one call (no calibration). */
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
