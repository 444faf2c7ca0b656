/** Experiments, workers and assignments: the queries the API and the demo share. */
import type { MqttClient } from 'mqtt';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics } from '../../shared/topics.js';
import type { Db } from './open.js';

export function experimentExists(db: Db, experiment: string): boolean {
  return !!db.prepare('SELECT 1 FROM experiments WHERE experiment = ?').get(experiment);
}

export function createExperiment(db: Db, experiment: string, description: string, now: number): void {
  db.prepare('INSERT INTO experiments (experiment, created_at, description) VALUES (?, ?, ?)').run(experiment, formatTimestamp(now), description);
}

export function upsertWorker(db: Db, unit: string, now: number, model?: { name?: string; version?: string }): void {
  db.prepare(
    `INSERT INTO workers (pioreactor_unit, added_at, model_name, model_version, is_active) VALUES (?, ?, ?, ?, 1)
     ON CONFLICT (pioreactor_unit) DO UPDATE SET model_name = coalesce(excluded.model_name, model_name),
       model_version = coalesce(excluded.model_version, model_version), is_active = 1`,
  ).run(unit, formatTimestamp(now), model?.name ?? null, model?.version ?? null);
}

export function workerExists(db: Db, unit: string): boolean {
  return !!db.prepare('SELECT 1 FROM workers WHERE pioreactor_unit = ?').get(unit);
}

export function assignedExperiment(db: Db, unit: string): string | null {
  const r = db.prepare('SELECT experiment FROM experiment_worker_assignments WHERE pioreactor_unit = ?').get(unit) as { experiment: string } | undefined;
  return r?.experiment ?? null;
}

/** Assign (moving the unit out of any other experiment) and announce it on the retained assignment topic. */
export async function assignWorker(db: Db, mqtt: MqttClient, unit: string, experiment: string, now: number): Promise<void> {
  const at = formatTimestamp(now);
  db.transaction(() => {
    db.prepare('DELETE FROM experiment_worker_assignments WHERE pioreactor_unit = ?').run(unit);
    db.prepare('INSERT INTO experiment_worker_assignments (pioreactor_unit, experiment, assigned_at) VALUES (?, ?, ?)').run(unit, experiment, at);
  })();
  await publishAssignment(mqtt, unit, experiment, at, at);
}

export async function unassignWorker(db: Db, mqtt: MqttClient, unit: string, experiment: string, now: number): Promise<boolean> {
  const r = db.prepare('DELETE FROM experiment_worker_assignments WHERE pioreactor_unit = ? AND experiment = ?').run(unit, experiment);
  if (r.changes === 0) return false;
  await publishAssignment(mqtt, unit, null, null, formatTimestamp(now));
  return true;
}

export async function publishAssignment(mqtt: MqttClient, unit: string, experiment: string | null, assignedAt: string | null, updatedAt: string): Promise<void> {
  const payload = JSON.stringify({ pioreactor_unit: unit, experiment, assigned_at: assignedAt, updated_at: updatedAt });
  await mqtt.publishAsync(topics.assignment(unit), payload, { qos: 1, retain: true });
}
