/**
 * Calibrating a golden profile's scores on the golden runs' own spread: each source run is scored (its
 * trajectory binned to the profile grid) against the profile built from the OTHER source runs, and the root
 * mean square of those leave-one-out distances becomes the scale of the 0-100 score (scoring.ts). So a run
 * scores by how far it is from the profile compared with how far good runs are from their peers, not on an
 * absolute distance that mostly measures sensor noise. Needs at least two source runs.
 */
import type { RunData } from './align.js';
import { buildGoldenProfile, type GoldenProfile, type ScoreCalibration } from './golden.js';
import { binTrajectory, profileDistance, profileStepHours } from './scoring.js';

export interface GoldenOptions {
  resolutionMinutes?: number;
  anchorPhase?: RunData['phases'][number]['phase'];
}

/** A run's samples of `variables` in time order (ts ms), NaN where a variable has no sample at that time. */
export function runSamples(run: RunData, variables: readonly string[]): { ts: number; values: number[] }[] {
  const rows = new Map<number, number[]>();
  variables.forEach((v, k) => {
    const s = run.series[v];
    if (!s) throw new Error(`run ${run.name} has no ${v}`);
    for (let i = 0; i < s.ts.length; i++) {
      let row = rows.get(s.ts[i]);
      if (!row) rows.set(s.ts[i], (row = new Array<number>(variables.length).fill(NaN)));
      row[k] = s.values[i];
    }
  });
  return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([ts, values]) => ({ ts, values }));
}

/** Leave-one-out calibration of a profile built from `runs` (undefined with fewer than two runs). */
export function calibrateProfile(profile: GoldenProfile, runs: readonly RunData[], opts: GoldenOptions = {}): ScoreCalibration | undefined {
  if (runs.length < 2) return undefined;
  const step = profileStepHours(profile);
  const distances = runs.map((run, i) => {
    const peers = buildGoldenProfile(
      runs.filter((_, j) => j !== i),
      profile.variables,
      opts,
    );
    return profileDistance(peers, binTrajectory(runSamples(run, profile.variables), step)).norm;
  });
  const scale = Math.sqrt(distances.reduce((a, d) => a + d * d, 0) / distances.length);
  return { method: 'leave-one-out', distances, scale };
}

/** buildGoldenProfile plus its leave-one-out calibration. */
export function buildCalibratedGoldenProfile(runs: readonly RunData[], variables: readonly string[], opts: GoldenOptions = {}): GoldenProfile {
  const profile = buildGoldenProfile(runs, variables, opts);
  const calibration = calibrateProfile(profile, runs, opts);
  return calibration ? { ...profile, calibration } : profile;
}
