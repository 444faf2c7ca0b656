/**
 * The SQLite schema the query DSL compiles against. It is the single source of truth for the
 * compiler's identifier allow-lists (only names listed here can reach SQL) and for the tests, which
 * create an in-memory database from `analyticsSchemaSql()`.
 *
 * Fixes reference QUIRK (e) (SporeDB's tables were never registered, so queries failed at execution)
 * and QUIRK (f) (catalogue columns were `meta_strain` etc. while the DSL said `strain`): these tables
 * exist in the leader database and the catalogue columns carry the names the DSL uses; the SporeDB
 * spellings are accepted as aliases (FIELD_ALIASES).
 *
 * ```
 * batches        id TEXT PK, name TEXT, status TEXT (planned|inoculated|running|harvested|aborted),
 *                strain TEXT, media TEXT, scale REAL (litres), operator TEXT, created_at TEXT (ISO-8601 UTC),
 *                started_at TEXT, ended_at TEXT, tags TEXT (JSON array of strings)
 * telemetry      batch_id TEXT, timestamp TEXT (ISO-8601 UTC), elapsed_h REAL, variable TEXT, value REAL, unit TEXT
 * assays         batch_id TEXT, timestamp TEXT, variable TEXT, value REAL, uncertainty REAL (1 sigma)
 * phases         batch_id TEXT, phase TEXT (lag|exponential|stationary|decline|unknown), start_h REAL,
 *                end_h REAL (hours since inoculation), confidence REAL
 * batch_metrics  batch_id TEXT, phase TEXT, mu REAL (1/h), qp REAL (g/L/h), yx_s REAL (g/g), yp_s REAL (g/g),
 *                r_squared REAL   -- what growth_rate() and yield_coefficient() read (reference §6)
 * golden_profiles id TEXT PK, name TEXT, variables TEXT (JSON), source_batch_ids TEXT (JSON), created_at TEXT
 * ```
 */

export interface ColumnDef {
  readonly name: string;
  readonly sqlType: 'TEXT' | 'REAL' | 'INTEGER';
  readonly primaryKey?: boolean;
  readonly notNull?: boolean;
}

export interface TableDef {
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly indexes?: readonly (readonly string[])[];
}

const col = (name: string, sqlType: ColumnDef['sqlType'], extra: Partial<ColumnDef> = {}): ColumnDef => ({ name, sqlType, ...extra });

export const ANALYTICS_SCHEMA: readonly TableDef[] = [
  {
    name: 'batches',
    columns: [
      col('id', 'TEXT', { primaryKey: true }),
      col('name', 'TEXT', { notNull: true }),
      col('status', 'TEXT', { notNull: true }),
      col('strain', 'TEXT'),
      col('media', 'TEXT'),
      col('scale', 'REAL'),
      col('operator', 'TEXT'),
      col('created_at', 'TEXT', { notNull: true }),
      col('started_at', 'TEXT'),
      col('ended_at', 'TEXT'),
      col('tags', 'TEXT', { notNull: true }),
    ],
  },
  {
    name: 'telemetry',
    columns: [
      col('batch_id', 'TEXT', { notNull: true }),
      col('timestamp', 'TEXT', { notNull: true }),
      col('elapsed_h', 'REAL'),
      col('variable', 'TEXT', { notNull: true }),
      col('value', 'REAL', { notNull: true }),
      col('unit', 'TEXT'),
    ],
    indexes: [['batch_id', 'variable', 'timestamp']],
  },
  {
    name: 'assays',
    columns: [
      col('batch_id', 'TEXT', { notNull: true }),
      col('timestamp', 'TEXT', { notNull: true }),
      col('variable', 'TEXT', { notNull: true }),
      col('value', 'REAL', { notNull: true }),
      col('uncertainty', 'REAL', { notNull: true }),
    ],
    indexes: [['batch_id', 'variable', 'timestamp']],
  },
  {
    name: 'phases',
    columns: [
      col('batch_id', 'TEXT', { notNull: true }),
      col('phase', 'TEXT', { notNull: true }),
      col('start_h', 'REAL', { notNull: true }),
      col('end_h', 'REAL', { notNull: true }),
      col('confidence', 'REAL'),
    ],
    indexes: [['batch_id', 'phase']],
  },
  {
    name: 'batch_metrics',
    columns: [
      col('batch_id', 'TEXT', { notNull: true }),
      col('phase', 'TEXT', { notNull: true }),
      col('mu', 'REAL'),
      col('qp', 'REAL'),
      col('yx_s', 'REAL'),
      col('yp_s', 'REAL'),
      col('r_squared', 'REAL'),
    ],
    indexes: [['batch_id', 'phase']],
  },
  {
    name: 'golden_profiles',
    columns: [
      col('id', 'TEXT', { primaryKey: true }),
      col('name', 'TEXT'),
      col('variables', 'TEXT', { notNull: true }),
      col('source_batch_ids', 'TEXT', { notNull: true }),
      col('created_at', 'TEXT', { notNull: true }),
    ],
  },
];

/** CREATE TABLE / CREATE INDEX statements for ANALYTICS_SCHEMA (IF NOT EXISTS, so re-running is harmless). */
export function analyticsSchemaSql(): string[] {
  const out: string[] = [];
  for (const t of ANALYTICS_SCHEMA) {
    const cols = t.columns.map((c) => `${c.name} ${c.sqlType}${c.primaryKey ? ' PRIMARY KEY' : ''}${c.notNull ? ' NOT NULL' : ''}`);
    out.push(`CREATE TABLE IF NOT EXISTS ${t.name} (${cols.join(', ')})`);
    (t.indexes ?? []).forEach((ix, n) => out.push(`CREATE INDEX IF NOT EXISTS ${t.name}_ix${n} ON ${t.name} (${ix.join(', ')})`));
  }
  return out;
}

export function tableDef(name: string): TableDef {
  const t = ANALYTICS_SCHEMA.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name} in ANALYTICS_SCHEMA`);
  return t;
}

/**
 * SporeDB catalogue spellings (reference §1 and QUIRK (f)) mapped to our batches columns, so queries
 * written for SporeDB keep working. Keys are lower-case.
 */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  batch_id: 'id',
  lifecycle: 'status',
  meta_strain: 'strain',
  meta_media: 'media',
  meta_operator: 'operator',
  meta_scale_liters: 'scale',
  scale_liters: 'scale',
};

/**
 * Telemetry variables a bare identifier may name (e.g. `SELECT OD600 …`). The variable is passed to
 * SQL as a parameter, never interpolated; the list only decides what counts as a known identifier.
 * Callers may pass their own vocabulary to compileQuery. Matching is case-insensitive and the
 * spelling here is what is looked up in telemetry.variable.
 */
export const DEFAULT_TELEMETRY_VARIABLES: readonly string[] = [
  'OD600', 'od', 'od_filtered', 'growth_rate', 'biomass', 'ph', 'dissolved_oxygen', 'temperature', 'glucose',
  'volume', 'feed_rate', 'agitation', 'airflow', 'lactate', 'ammonia', 'glutamine', 'glutamate', 'viability',
  'product_titer',
];
