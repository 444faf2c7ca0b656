/** Row counts per unit and reading kind, to compare the leader's database with what the fleet published. */
import Database from 'better-sqlite3';
import type { FleetUnit, ReadingKind } from '../../bench/fleet.js';

const TABLE_OF: Record<ReadingKind, string> = {
  od: 'od_readings',
  growth_rate: 'growth_rates',
  od_filtered: 'od_readings_filtered',
  temperature: 'temperature_readings',
  rpm: 'stirring_rates',
  log: 'logs',
};

export function countsFor(db: Database.Database, unit: string): Record<ReadingKind, number> {
  const out = {} as Record<ReadingKind, number>;
  for (const [kind, table] of Object.entries(TABLE_OF) as Array<[ReadingKind, string]>) {
    out[kind] = (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE pioreactor_unit = ?`).get(unit) as { n: number }).n;
  }
  return out;
}

export function totalFor(db: Database.Database, unit: string): number {
  return Object.values(countsFor(db, unit)).reduce((a, b) => a + b, 0);
}

/** Open the leader's database read-only (it may be running in another process). */
export function openReadonly(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true });
}

export function expectedCounts(u: FleetUnit): Record<ReadingKind, number> {
  return { ...u.publishedByKind };
}
