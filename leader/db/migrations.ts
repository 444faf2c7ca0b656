/**
 * Versioned schema migrations (PRAGMA user_version). Migration 1 is Pioreactor's leader schema
 * (reference/pioreactor-mqtt.md §5.3: same table and column names, so exports and queries carry over);
 * later migrations add Colony's own tables. Never edit a shipped migration; add a new one.
 */
import type Database from 'better-sqlite3';
import { analyticsMigrationSql, liveScoreMigrationSql } from '../batches/schema.js';

const TS_COLS = 'experiment TEXT NOT NULL, pioreactor_unit TEXT NOT NULL, timestamp TEXT NOT NULL';

/** Pioreactor's time-series tables: name -> extra columns, index columns. */
const TIME_SERIES: Array<[string, string, string[]]> = [
  ['od_readings', 'od_reading REAL NOT NULL, angle INTEGER NOT NULL, channel INTEGER NOT NULL CHECK (channel IN (1,2,3,4))', ['experiment', 'pioreactor_unit', 'channel', 'timestamp']],
  ['raw_od_readings', 'od_reading REAL NOT NULL, channel INTEGER NOT NULL CHECK (channel IN (1,2,3,4))', ['experiment', 'pioreactor_unit', 'channel', 'timestamp']],
  ['od_readings_fused', 'od_reading REAL NOT NULL', ['experiment', 'pioreactor_unit', 'timestamp']],
  ['od_readings_filtered', 'normalized_od_reading REAL NOT NULL', ['experiment', 'pioreactor_unit', 'timestamp']],
  ['growth_rates', 'rate REAL NOT NULL', ['experiment', 'pioreactor_unit', 'timestamp']],
  ['temperature_readings', 'temperature_c REAL NOT NULL', ['experiment', 'pioreactor_unit', 'timestamp']],
  ['stirring_rates', 'measured_rpm REAL NOT NULL', ['experiment', 'pioreactor_unit']],
  ['alt_media_fractions', 'alt_media_fraction REAL NOT NULL', ['experiment']],
  ['liquid_volumes', 'liquid_volume REAL NOT NULL', ['experiment']],
  ['dosing_events', 'event TEXT NOT NULL, volume_change_ml REAL NOT NULL, source_of_event TEXT', ['experiment', 'pioreactor_unit']],
  ['led_change_events', "channel TEXT NOT NULL CHECK (channel IN ('A','B','C','D')), intensity REAL NOT NULL, source_of_event TEXT", ['experiment', 'pioreactor_unit']],
  ['od_blanks', "channel TEXT NOT NULL CHECK (channel IN ('1','2')), angle INTEGER NOT NULL, od_reading REAL NOT NULL", ['experiment', 'pioreactor_unit', 'timestamp']],
  ['ir_led_intensities', 'relative_intensity REAL NOT NULL', ['experiment', 'pioreactor_unit']],
  ['dosing_automation_events', 'event_name TEXT NOT NULL, message TEXT, data TEXT', ['experiment', 'pioreactor_unit']],
  ['led_automation_events', 'event_name TEXT NOT NULL, message TEXT, data TEXT', ['experiment', 'pioreactor_unit']],
  ['temperature_automation_events', 'event_name TEXT NOT NULL, message TEXT, data TEXT', ['experiment', 'pioreactor_unit']],
  ['pwm_dcs', 'channel_1 REAL, channel_2 REAL, channel_3 REAL, channel_4 REAL, channel_5 REAL', ['experiment', 'pioreactor_unit']],
];

function pioreactorSchema(): string {
  const parts: string[] = [
    `CREATE TABLE experiments (experiment TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, description TEXT)`,
    `CREATE UNIQUE INDEX experiments_ix ON experiments (created_at, experiment, description)`,
    `CREATE TABLE experiment_tags (experiment TEXT NOT NULL, tag TEXT NOT NULL, created_at TEXT NOT NULL,
       PRIMARY KEY (experiment, tag), FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
    `CREATE INDEX experiment_tags_ix ON experiment_tags (experiment, created_at, tag)`,
    `CREATE TABLE workers (pioreactor_unit TEXT NOT NULL UNIQUE, added_at TEXT NOT NULL, model_name TEXT,
       model_version TEXT, is_active INTEGER NOT NULL DEFAULT 1)`,
    `CREATE TABLE experiment_worker_assignments (pioreactor_unit TEXT NOT NULL UNIQUE, experiment TEXT NOT NULL,
       assigned_at TEXT NOT NULL,
       FOREIGN KEY (pioreactor_unit) REFERENCES workers(pioreactor_unit) ON DELETE CASCADE,
       FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
    `CREATE INDEX experiment_worker_assignments_ix ON experiment_worker_assignments (experiment)`,
    `CREATE TABLE experiment_worker_assignments_history (pioreactor_unit TEXT NOT NULL, experiment TEXT NOT NULL,
       assigned_at TEXT NOT NULL, unassigned_at TEXT, UNIQUE (pioreactor_unit, experiment, assigned_at))`,
    `CREATE INDEX experiment_worker_assignments_history_ix ON experiment_worker_assignments_history
       (pioreactor_unit, experiment, assigned_at, unassigned_at)`,
    `CREATE TABLE pioreactor_unit_labels (experiment TEXT NOT NULL, pioreactor_unit TEXT NOT NULL, label TEXT NOT NULL,
       created_at TEXT NOT NULL, UNIQUE (pioreactor_unit, experiment), UNIQUE (label, experiment),
       FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
    `CREATE INDEX pioreactor_unit_labels_ix ON pioreactor_unit_labels (experiment, pioreactor_unit)`,
    `CREATE TABLE experiment_profile_runs (started_at TEXT NOT NULL, experiment_profile_name TEXT NOT NULL, experiment TEXT,
       FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
    `CREATE INDEX experiment_profile_runs_ix ON experiment_profile_runs (experiment)`,
    `CREATE TABLE calibrations (pioreactor_unit TEXT NOT NULL, created_at TEXT NOT NULL, type TEXT NOT NULL,
       data TEXT NOT NULL, name TEXT NOT NULL, is_current INTEGER NOT NULL DEFAULT 0, set_to_current_at TEXT,
       UNIQUE (pioreactor_unit, type, name))`,
    `CREATE TABLE config_files_histories (timestamp TEXT NOT NULL, filename TEXT NOT NULL, data TEXT NOT NULL)`,
    `CREATE INDEX config_files_histories_ix ON config_files_histories (filename)`,
    `CREATE TABLE logs (${TS_COLS}, message TEXT NOT NULL, source TEXT NOT NULL, level TEXT, task TEXT,
       FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
    `CREATE INDEX logs_ix_exp_ts ON logs (experiment, timestamp DESC)`,
    `CREATE INDEX logs_ix_exp_level_ts ON logs (experiment, level, timestamp DESC)`,
    `CREATE INDEX logs_ix_unit_ts ON logs (pioreactor_unit, timestamp DESC)`,
    `CREATE INDEX logs_ix_level_ts ON logs (level, timestamp DESC)`,
  ];
  for (const [name, cols, ix] of TIME_SERIES) {
    parts.push(
      `CREATE TABLE ${name} (${TS_COLS}, ${cols}, FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
      `CREATE INDEX ${name}_ix ON ${name} (${ix.join(', ')})`,
    );
  }
  for (const kind of ['dosing', 'led', 'temperature']) {
    parts.push(
      `CREATE TABLE ${kind}_automation_settings (experiment TEXT NOT NULL, pioreactor_unit TEXT NOT NULL,
         started_at TEXT NOT NULL, ended_at TEXT, automation_name TEXT NOT NULL, settings BLOB NOT NULL,
         FOREIGN KEY (experiment) REFERENCES experiments(experiment) ON DELETE CASCADE)`,
      `CREATE INDEX ${kind}_automation_settings_ix ON ${kind}_automation_settings (experiment, pioreactor_unit)`,
    );
  }
  parts.push(
    `CREATE TABLE pioreactor_unit_activity_data (${TS_COLS}, od_reading REAL, od_fused REAL, normalized_od_reading REAL,
       temperature_c REAL, growth_rate REAL, measured_rpm REAL, led_a_intensity_update REAL, led_b_intensity_update REAL,
       led_c_intensity_update REAL, led_d_intensity_update REAL, add_media_ml REAL, remove_waste_ml REAL, add_alt_media_ml REAL)`,
    `CREATE UNIQUE INDEX pioreactor_unit_activity_data_ix ON pioreactor_unit_activity_data (experiment, pioreactor_unit, timestamp)`,
    // Assignment history, as Pioreactor's triggers keep it.
    `CREATE TRIGGER assignment_history_insert AFTER INSERT ON experiment_worker_assignments BEGIN
       INSERT OR IGNORE INTO experiment_worker_assignments_history (pioreactor_unit, experiment, assigned_at)
       VALUES (NEW.pioreactor_unit, NEW.experiment, NEW.assigned_at); END`,
    `CREATE TRIGGER assignment_history_delete AFTER DELETE ON experiment_worker_assignments BEGIN
       UPDATE experiment_worker_assignments_history SET unassigned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE pioreactor_unit = OLD.pioreactor_unit AND experiment = OLD.experiment AND assigned_at = OLD.assigned_at
         AND unassigned_at IS NULL; END`,
    `CREATE VIEW latest_experiment AS SELECT experiment, created_at, description,
       (julianday('now') - julianday(created_at)) * 24 AS delta_hours
       FROM experiments ORDER BY rowid DESC LIMIT 1`,
  );
  return parts.join(';\n');
}

/** Colony's own tables: outbox watermarks (dedupe), the per-minute rollup, tasks, audit. */
function colonySchema(): string {
  return [
    // Highest outbox sequence stored per (unit, epoch): the dedupe key of ARCHITECTURE.md §5.
    `CREATE TABLE colony_outbox_watermarks (pioreactor_unit TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL,
       updated_at TEXT NOT NULL, PRIMARY KEY (pioreactor_unit, epoch)) WITHOUT ROWID`,
    // Outbox seqs stored above the watermark (arrived out of order); pruned as the watermark passes them.
    `CREATE TABLE colony_outbox_seqs (pioreactor_unit TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL,
       PRIMARY KEY (pioreactor_unit, epoch, seq)) WITHOUT ROWID`,
    // Per-unit, per-minute rollup kept at ingest, read by the time-series routes (ARCHITECTURE.md §7).
    `CREATE TABLE colony_rollup_1m (dataset TEXT NOT NULL, experiment TEXT NOT NULL, pioreactor_unit TEXT NOT NULL,
       series TEXT NOT NULL, minute INTEGER NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL,
       max REAL NOT NULL, last REAL NOT NULL, last_ts TEXT NOT NULL,
       PRIMARY KEY (dataset, experiment, pioreactor_unit, series, minute)) WITHOUT ROWID`,
    `CREATE TABLE colony_audit (timestamp TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT)`,
    `CREATE TABLE colony_ingest_stats (pioreactor_unit TEXT NOT NULL PRIMARY KEY, rows INTEGER NOT NULL,
       malformed INTEGER NOT NULL, duplicates INTEGER NOT NULL, last_at TEXT) WITHOUT ROWID`,
  ].join(';\n');
}

/** Leader-hosted automations (resumed after a restart), each pump step they asked for, profile runs. */
function automationsSchema(): string {
  return [
    `CREATE TABLE colony_leader_jobs (pioreactor_unit TEXT NOT NULL, job_name TEXT NOT NULL, experiment TEXT NOT NULL,
       automation_name TEXT NOT NULL, settings TEXT NOT NULL, state TEXT NOT NULL, started_at TEXT NOT NULL,
       last_run_at INTEGER, PRIMARY KEY (pioreactor_unit, job_name)) WITHOUT ROWID`,
    `CREATE TABLE colony_dosing_steps (id TEXT NOT NULL PRIMARY KEY, pioreactor_unit TEXT NOT NULL, experiment TEXT NOT NULL,
       automation_name TEXT NOT NULL, pump TEXT NOT NULL, ml REAL NOT NULL, status TEXT NOT NULL, moved_ml REAL,
       requested_at TEXT NOT NULL, finished_at TEXT, error TEXT)`,
    `CREATE INDEX colony_dosing_steps_ix ON colony_dosing_steps (pioreactor_unit, status)`,
    `CREATE TABLE colony_profile_runs (id TEXT NOT NULL PRIMARY KEY, profile_name TEXT NOT NULL, file TEXT NOT NULL,
       experiment TEXT NOT NULL, started_at INTEGER NOT NULL, state TEXT NOT NULL, profile TEXT NOT NULL,
       done TEXT NOT NULL DEFAULT '[]', ended_at INTEGER)`,
  ].join(';\n');
}

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, description: 'Pioreactor leader schema (pioreactor-mqtt.md §5.3)', sql: pioreactorSchema() },
  { version: 2, description: 'Colony: outbox watermarks, per-minute rollup, audit, ingest stats', sql: colonySchema() },
  { version: 3, description: 'Colony: leader-hosted automations, their dose steps, experiment profile runs', sql: automationsSchema() },
  { version: 4, description: 'Colony analytics: batches, telemetry, assays, phases, metrics, golden profiles, scores, lineage; cluster runs as batches', sql: analyticsMigrationSql() },
  { version: 5, description: 'Colony analytics: a golden profile per experiment, running scores', sql: liveScoreMigrationSql() },
];

/** Apply every migration above the database's user_version, each in its own transaction. */
export function migrate(db: Database.Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
