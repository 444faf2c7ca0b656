// Synthetic cluster runs for the running-score tests: normalised OD every 5 minutes in `od_readings_filtered`,
// the way ingest stores a unit's od_filtered stream, for runs that started at T0.
import type { Db } from '../../leader/db/open.js';
import { formatTimestamp } from '../../shared/timestamps.js';

export const T0 = Date.parse('2026-03-01T00:00:00.000Z');
export const H = 3_600_000;
/** Normalised OD of a culture: flat for `lag` hours, then logistic growth at `mu` to a capacity of 20. */
export const logistic = (h: number, lag: number, mu = 0.6) => (h < lag ? 1 : 20 / (1 + 19 * Math.exp(-mu * (h - lag))));
/** A run that never takes off: a slow drift down. */
export const stalled = (h: number) => 1 - 0.01 * h;

/** An experiment (created at T0) with these units assigned at T0 (so each run is a batch). */
export function seedExperiment(db: Db, experiment: string, units: string[]): void {
  db.prepare('INSERT INTO experiments (experiment, created_at, description) VALUES (?, ?, ?)').run(experiment, formatTimestamp(T0), '');
  for (const u of units) db.prepare('INSERT INTO experiment_worker_assignments_history (pioreactor_unit, experiment, assigned_at) VALUES (?, ?, ?)').run(u, experiment, formatTimestamp(T0));
}

/** Normalised OD every 5 minutes from hour `from` to `to` of a run. */
export function grow(db: Db, experiment: string, unit: string, f: (h: number) => number, from: number, to: number): void {
  const ins = db.prepare('INSERT INTO od_readings_filtered (experiment, pioreactor_unit, timestamp, normalized_od_reading) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let h = from; h < to; h += 1 / 12) ins.run(experiment, unit, formatTimestamp(T0 + h * H), f(h));
  })();
}
