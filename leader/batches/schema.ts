/**
 * Storage of the analytics service in the leader's SQLite, beside the Pioreactor tables.
 *
 * The query DSL (leader/analytics/dsl/schema.ts) compiles against `batches`, `telemetry`, `assays`, `phases`,
 * `batch_metrics` and `golden_profiles`. Here:
 *  - `analytics_batches` holds imported / created batches (lifecycle = `status`, strain, media, scale (L),
 *    operator, tags JSON); `analytics_run_meta` lets a cluster run carry the same metadata;
 *  - `analytics_telemetry` holds the long telemetry of imported runs;
 *  - every (experiment, unit) run of the cluster is a batch by itself: the VIEWS `batches` and `telemetry`
 *    union the imported rows with the cluster's runs, whose telemetry is read from the Pioreactor tables
 *    through RUN_VARIABLES, the one variable mapping (below). A run's batch id is `run:<experiment>:<unit>`,
 *    its name `<experiment>/<unit>`; a run is known once it has an assignment (history) or a growth rate
 *    reached the online phase service (analytics_phase_state); elapsed_h is hours since the experiment's
 *    created_at;
 *  - `assays` (with 1-sigma uncertainty), `phases`, `batch_metrics`, `golden_profiles` (+ the full profile
 *    JSON), `analytics_scores`, and the lineage DAG `analytics_operations` + `analytics_operation_parents`;
 *  - the online phase labeller: `analytics_phase_state` (toJSON per run, so a restart resumes) and
 *    `analytics_phase_events` (every committed phase change).
 * All timestamps are RFC 3339 UTC with milliseconds (shared/timestamps.ts), so text order is time order.
 */
import { ANALYTICS_SCHEMA } from '../analytics/dsl/schema.js';

/** Batch id of a cluster run. */
export const runBatchId = (experiment: string, unit: string): string => `run:${experiment}:${unit}`;

/** The inverse of runBatchId, or null for an imported batch. */
export function parseRunBatchId(id: string): { experiment: string; unit: string } | null {
  if (!id.startsWith('run:')) return null;
  const rest = id.slice(4);
  const i = rest.lastIndexOf(':');
  if (i <= 0 || i === rest.length - 1) return null;
  return { experiment: rest.slice(0, i), unit: rest.slice(i + 1) };
}

export interface RunVariable {
  /** Analytics variable name. */
  variable: string;
  table: string;
  column: string;
  unit: string | null;
}

/**
 * THE mapping from the Pioreactor tables to analytics variables of a cluster run. Used by the `telemetry`
 * view (for the DSL) and by BatchStore.getTelemetry (which reads the tables through their
 * (experiment, pioreactor_unit, ...) indexes).
 */
export const RUN_VARIABLES: readonly RunVariable[] = [
  { variable: 'od_filtered', table: 'od_readings_filtered', column: 'normalized_od_reading', unit: null },
  { variable: 'od', table: 'od_readings', column: 'od_reading', unit: 'AU' },
  { variable: 'growth_rate', table: 'growth_rates', column: 'rate', unit: '1/h' },
  { variable: 'temperature', table: 'temperature_readings', column: 'temperature_c', unit: 'C' },
  { variable: 'rpm', table: 'stirring_rates', column: 'measured_rpm', unit: 'rpm' },
  { variable: 'dosing', table: 'dosing_events', column: 'volume_change_ml', unit: 'mL' },
  { variable: 'volume', table: 'liquid_volumes', column: 'liquid_volume', unit: 'mL' },
];

const RUN_ID = `'run:' || experiment || ':' || pioreactor_unit`;

export function analyticsMigrationSql(): string {
  const telemetryRuns = RUN_VARIABLES.map(
    (v) =>
      `SELECT ${RUN_ID} AS batch_id, x.timestamp AS timestamp,
         (julianday(x.timestamp) - julianday((SELECT e.created_at FROM experiments e WHERE e.experiment = x.experiment))) * 24.0 AS elapsed_h,
         '${v.variable}' AS variable, x.${v.column} AS value, ${v.unit === null ? 'NULL' : `'${v.unit}'`} AS unit
       FROM ${v.table} x`,
  );
  return [
    `CREATE TABLE analytics_batches (id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'planned'
       CHECK (status IN ('planned','inoculated','running','harvested','aborted')), strain TEXT, media TEXT,
       scale REAL CHECK (scale IS NULL OR scale > 0), operator TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
       started_at TEXT, ended_at TEXT, feed_start TEXT, induction TEXT, tags TEXT NOT NULL DEFAULT '[]', extra TEXT NOT NULL DEFAULT '{}')`,
    `CREATE INDEX analytics_batches_name_ix ON analytics_batches (name)`,
    `CREATE TABLE analytics_run_meta (batch_id TEXT NOT NULL PRIMARY KEY, status TEXT, strain TEXT, media TEXT, scale REAL,
       operator TEXT, tags TEXT)`,
    `CREATE TABLE analytics_phase_state (experiment TEXT NOT NULL, pioreactor_unit TEXT NOT NULL, state TEXT NOT NULL,
       phase TEXT NOT NULL, phase_started_at TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (experiment, pioreactor_unit))`,
    `CREATE TABLE analytics_phase_events (experiment TEXT NOT NULL, pioreactor_unit TEXT NOT NULL, phase TEXT NOT NULL,
       started_at TEXT NOT NULL, detected_at TEXT NOT NULL)`,
    `CREATE INDEX analytics_phase_events_ix ON analytics_phase_events (experiment, pioreactor_unit, started_at)`,
    `CREATE VIEW batches AS
       SELECT id, name, status, strain, media, scale, operator, created_at, started_at, ended_at, tags, 'import' AS source FROM analytics_batches
       UNION ALL
       SELECT r.batch_id, r.experiment || '/' || r.pioreactor_unit, COALESCE(m.status, CASE WHEN r.ended_at IS NULL THEN 'running' ELSE 'harvested' END),
         m.strain, m.media, m.scale, m.operator, r.started_at, r.started_at, r.ended_at, COALESCE(m.tags, '[]'), 'cluster'
       FROM (SELECT ${RUN_ID} AS batch_id, experiment, pioreactor_unit, MIN(started_at) AS started_at,
               CASE WHEN SUM(ended_at IS NULL) > 0 THEN NULL ELSE MAX(ended_at) END AS ended_at
             FROM (SELECT experiment, pioreactor_unit, assigned_at AS started_at, unassigned_at AS ended_at FROM experiment_worker_assignments_history
                   UNION ALL SELECT experiment, pioreactor_unit, updated_at, NULL FROM analytics_phase_state)
             GROUP BY experiment, pioreactor_unit) r
       LEFT JOIN analytics_run_meta m ON m.batch_id = r.batch_id`,
    `CREATE TABLE analytics_telemetry (batch_id TEXT NOT NULL, timestamp TEXT NOT NULL, elapsed_h REAL, variable TEXT NOT NULL,
       value REAL NOT NULL, unit TEXT)`,
    `CREATE INDEX analytics_telemetry_ix ON analytics_telemetry (batch_id, variable, timestamp)`,
    `CREATE INDEX analytics_telemetry_ts_ix ON analytics_telemetry (batch_id, timestamp)`,
    `CREATE VIEW telemetry AS
       SELECT batch_id, timestamp, elapsed_h, variable, value, unit FROM analytics_telemetry
       UNION ALL ${telemetryRuns.join('\n       UNION ALL ')}`,
    `CREATE TABLE assays (batch_id TEXT NOT NULL, timestamp TEXT NOT NULL, variable TEXT NOT NULL, value REAL NOT NULL,
       uncertainty REAL NOT NULL DEFAULT 0 CHECK (uncertainty >= 0), unit TEXT, method TEXT)`,
    `CREATE INDEX assays_ix ON assays (batch_id, variable, timestamp)`,
    `CREATE TABLE phases (batch_id TEXT NOT NULL, phase TEXT NOT NULL, start_h REAL NOT NULL, end_h REAL NOT NULL, confidence REAL,
       start_ts TEXT NOT NULL, end_ts TEXT NOT NULL, signal_variable TEXT NOT NULL, method TEXT NOT NULL, growth_rate REAL, seq INTEGER NOT NULL)`,
    `CREATE INDEX phases_ix ON phases (batch_id, phase)`,
    `CREATE TABLE batch_metrics (batch_id TEXT NOT NULL, phase TEXT NOT NULL, mu REAL, qp REAL, yx_s REAL, yp_s REAL, r_squared REAL,
       mu_std_err REAL, signal_variable TEXT NOT NULL)`,
    `CREATE INDEX batch_metrics_ix ON batch_metrics (batch_id, phase)`,
    `CREATE TABLE golden_profiles (id TEXT NOT NULL PRIMARY KEY, name TEXT, variables TEXT NOT NULL, source_batch_ids TEXT NOT NULL,
       created_at TEXT NOT NULL, profile TEXT NOT NULL)`,
    `CREATE TABLE analytics_scores (batch_id TEXT NOT NULL, profile_id TEXT NOT NULL, score REAL NOT NULL CHECK (score >= 0 AND score <= 100),
       dtw_normalized_distance REAL, variables TEXT NOT NULL, created_at TEXT NOT NULL)`,
    `CREATE INDEX analytics_scores_ix ON analytics_scores (batch_id, profile_id)`,
    `CREATE TABLE analytics_operations (id TEXT NOT NULL PRIMARY KEY, batch_id TEXT NOT NULL, name TEXT NOT NULL, operation_type TEXT NOT NULL,
       started_at TEXT, ended_at TEXT, parameters TEXT NOT NULL DEFAULT '{}')`,
    `CREATE INDEX analytics_operations_ix ON analytics_operations (batch_id)`,
    `CREATE TABLE analytics_operation_parents (operation_id TEXT NOT NULL, parent_id TEXT NOT NULL, PRIMARY KEY (operation_id, parent_id)) WITHOUT ROWID`,
    `CREATE INDEX analytics_operation_parents_ix ON analytics_operation_parents (parent_id)`,
  ].join(';\n');
}

/**
 * Running scores (migration 5): the golden profile chosen for an experiment, and `analytics_scores` rows that
 * the live scorer writes as each run grows (`live` = 1, with the profile hours the run has reached).
 */
export function liveScoreMigrationSql(): string {
  return [
    `CREATE TABLE analytics_experiment_golden (experiment TEXT NOT NULL PRIMARY KEY, profile_id TEXT NOT NULL, chosen_at TEXT NOT NULL) WITHOUT ROWID`,
    `ALTER TABLE analytics_scores ADD COLUMN live INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE analytics_scores ADD COLUMN matched_h REAL`,
    `CREATE INDEX analytics_scores_live_ix ON analytics_scores (profile_id, live, batch_id, created_at)`,
  ].join(';\n');
}

/** Every DSL table exists with at least the DSL's columns (checked by the tests). */
export const DSL_TABLES = ANALYTICS_SCHEMA.map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) }));
