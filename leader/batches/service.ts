/**
 * The analytics service over the leader's SQLite (schema.ts): the batch catalogue, imports, telemetry,
 * assays, the unified (as-of) view, phases, metrics, alignment, golden profiles, scores, PAT soft sensors,
 * the query DSL, exports and the lineage DAG. Every result is plain JSON, so the same shapes travel over
 * `/api/analytics` (leader/api/analytics.ts) and come back out of the remote client (client.ts).
 *
 * Choices on the reference's QUIRKs (reference/sporedb-analytics.md):
 *  - detecting phases (or metrics) again REPLACES a batch's earlier annotations of the same method
 *    instead of appending duplicates;
 *  - the default signal is OD600 when the batch has it, else od_filtered (cluster runs), never "biomass";
 *  - lineage: parents must exist, links are checked for cycles, traversals return each node once;
 *  - scoring drops profile rows whose mean is NaN (edges of the alignment) and trajectory rows with a
 *    missing variable, instead of scoring 0; the run is binned to the profile's grid and scored on the
 *    profile's leave-one-out calibration (library scoring.ts states the rule).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/open.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import {
  alignRuns,
  bocpdChangepoints,
  binTrajectory,
  buildCalibratedGoldenProfile,
  detectGrowthPhases,
  importCsv as importCsvText,
  importXlsx,
  labelChangepointSegments,
  LinearSoftSensor,
  profileStepHours,
  scoreAgainstProfile,
  MS_PER_HOUR,
  type GoldenProfile,
  type ImportRecord,
  type ImportResult as PureImportResult,
  type PhaseType,
  type RunData,
  type Series,
  type SoftSensor,
} from '../analytics/index.js';
import { compileQuery, DEFAULT_TELEMETRY_VARIABLES, DslError } from '../analytics/dsl/index.js';
import { writeArrowFile, writeCsv, writeParquet, type ColumnTable } from '../analytics/export/index.js';
import { parseRunBatchId, RUN_VARIABLES, runBatchId } from './schema.js';

export class AnalyticsError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AnalyticsError';
  }
}

export const LIFECYCLES = ['planned', 'inoculated', 'running', 'harvested', 'aborted'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export interface Batch {
  batch_id: string;
  name: string;
  lifecycle: Lifecycle;
  strain: string | null;
  media: string | null;
  scale_liters: number | null;
  operator: string | null;
  tags: string[];
  created_at: string;
  /** Inoculation (imports) or the first assignment (cluster runs). */
  started_at: string | null;
  ended_at: string | null;
  source: 'import' | 'cluster';
}

export interface CreateBatchOptions {
  strain?: string | null;
  media?: string | null;
  scale_liters?: number | null;
  operator?: string | null;
  tags?: string[];
  inoculation?: string | null;
  lifecycle?: Lifecycle;
}

export interface ImportResult {
  batch_id: string;
  batch_name: string;
  rows_imported: number;
  records_imported: number;
  columns_mapped: Record<string, string>;
  units_converted: Record<string, [string, string]>;
  warnings: string[];
  elapsed_seconds: number;
}

export interface TelemetryRow {
  ts: string;
  elapsed_h: number | null;
  variable: string;
  value: number;
  unit: string | null;
}

export interface AssayRow {
  ts: string;
  variable: string;
  value: number;
  uncertainty: number;
  unit: string | null;
  method: string | null;
}

export interface UnifiedRow {
  ts: string;
  assay_variable: string;
  assay_value: number;
  uncertainty: number;
  /** Timestamp of the nearest earlier telemetry sample (null when none precedes the assay). */
  telemetry_ts: string | null;
  telemetry: Record<string, number>;
}

export interface PhaseAnnotation {
  batch_id: string;
  phase_type: PhaseType;
  start_ts: string;
  end_ts: string;
  start_h: number;
  end_h: number;
  confidence: number;
  signal_variable: string;
  /** `growth`: offline growth-rate labelling; `bocpd`: online change points; `streaming`: the live labeller. */
  method: 'growth' | 'bocpd' | 'streaming';
  /** Specific growth rate over the phase (1/h). */
  growth_rate: number | null;
}

export interface BatchMetrics {
  batch_id: string;
  phase_type: PhaseType;
  mu: number | null;
  qp: number | null;
  yx_s: number | null;
  yp_s: number | null;
  r_squared: number | null;
  mu_std_err: number | null;
  /** 95 % confidence interval of mu (not stored; recomputed by computeMetrics). */
  mu_ci_low?: number | null;
  mu_ci_high?: number | null;
  signal_variable: string;
}

export interface AlignResult {
  elapsed_hours: number[];
  /** `<batch_id>__<variable>` -> values (null where a batch has no sample). */
  columns: Record<string, (number | null)[]>;
  batch_names: Record<string, string>;
}

export interface GoldenProfileDoc {
  profile_id: string;
  name: string | null;
  signal: string;
  variables: string[];
  elapsed_hours: number[];
  mean: (number | null)[][];
  std: (number | null)[][];
  /** Runs with data at each grid time and variable (profiles stored before it existed have none). */
  count?: number[][];
  source_batch_ids: string[];
  created_at: string;
  metadata: Record<string, unknown>;
  /** Leave-one-out calibration of the scores (scoring.ts); absent with a single source run. */
  calibration?: { method: 'leave-one-out'; distances: number[]; scale: number };
}

/** A stored golden profile without its grid (GET /api/analytics/golden). */
export interface GoldenProfileSummary {
  profile_id: string;
  name: string | null;
  signal: string;
  variables: string[];
  source_batch_ids: string[];
  created_at: string;
  /** Grid points (rows of mean and std). */
  points: number;
}

export interface BatchScore {
  batch_id: string;
  profile_id: string;
  score: number;
  dtw_normalized_distance: number;
  variables: string[];
  /** `leave-one-out` (calibrated on the golden runs' spread) or `sporedb` (uncalibrated profile). */
  scale: 'leave-one-out' | 'sporedb';
}

export interface SoftSensorSpec {
  type: 'linear';
  input: string;
  output: string;
  slope: number;
  intercept: number;
  prediction_std?: number;
}

export interface PredictionRow extends TelemetryRow {
  uncertainty: number | null;
  source: 'telemetry' | 'soft_sensor';
}

export interface UnitOperation {
  operation_id: string;
  batch_id: string;
  name: string;
  operation_type: string;
  parent_ids: string[];
  started_at: string | null;
  ended_at: string | null;
  parameters: Record<string, string | number | boolean>;
}

export type NewOperation = Omit<UnitOperation, 'operation_id' | 'parent_ids' | 'started_at' | 'ended_at' | 'parameters'> &
  Partial<Pick<UnitOperation, 'operation_id' | 'parent_ids' | 'started_at' | 'ended_at' | 'parameters'>>;

export type ExportFormat = 'csv' | 'parquet' | 'arrow';

export interface QueryResult {
  sql: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

interface BatchRow {
  id: string;
  name: string;
  status: string;
  strain: string | null;
  media: string | null;
  scale: number | null;
  operator: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  tags: string;
  source: 'import' | 'cluster';
}

function toBatch(r: BatchRow): Batch {
  let tags: string[] = [];
  try {
    const t: unknown = JSON.parse(r.tags);
    if (Array.isArray(t)) tags = t.map(String);
  } catch {
    // a malformed tag list reads as none
  }
  return {
    batch_id: r.id,
    name: r.name,
    lifecycle: (LIFECYCLES as readonly string[]).includes(r.status) ? (r.status as Lifecycle) : 'planned',
    strain: r.strain,
    media: r.media,
    scale_liters: r.scale,
    operator: r.operator,
    tags,
    created_at: r.created_at,
    started_at: r.started_at,
    ended_at: r.ended_at,
    source: r.source,
  };
}

const ts = (ms: number): string => formatTimestamp(ms);
const ms = (s: string): number => Date.parse(s);
const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export class AnalyticsService {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  // ---------------------------------------------------------------- catalogue

  listBatches(): Batch[] {
    return (this.db.prepare('SELECT * FROM batches ORDER BY created_at, name').all() as BatchRow[]).map(toBatch);
  }

  getBatch(ref: string): Batch | null {
    const byId = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(ref) as BatchRow | undefined;
    if (byId) return toBatch(byId);
    const run = parseRunBatchId(ref);
    if (run) return null;
    const byName = this.db.prepare('SELECT * FROM batches WHERE name = ? ORDER BY created_at').all(ref) as BatchRow[];
    if (byName.length > 1) throw new AnalyticsError(409, `${byName.length} batches are named ${JSON.stringify(ref)}; use the batch id`);
    return byName[0] ? toBatch(byName[0]) : null;
  }

  /** A batch by id or unique name; 404 otherwise. */
  batch(ref: string): Batch {
    const b = this.getBatch(ref);
    if (!b) throw new AnalyticsError(404, `no batch ${JSON.stringify(ref)}`);
    return b;
  }

  createBatch(name: string, o: CreateBatchOptions = {}): Batch {
    if (!name.trim()) throw new AnalyticsError(400, 'a batch needs a name');
    if (o.scale_liters !== undefined && o.scale_liters !== null && !(o.scale_liters > 0 && Number.isFinite(o.scale_liters))) {
      throw new AnalyticsError(400, 'scale_liters must be > 0');
    }
    const id = randomUUID();
    const now = ts(this.now());
    const inoc = o.inoculation ? ts(this.parseTime(o.inoculation, 'inoculation')) : null;
    this.db
      .prepare(
        `INSERT INTO analytics_batches (id, name, status, strain, media, scale, operator, created_at, updated_at, started_at, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, name, o.lifecycle ?? 'inoculated', o.strain ?? null, o.media ?? null, o.scale_liters ?? null, o.operator ?? null, now, now, inoc, JSON.stringify(o.tags ?? []));
    return this.batch(id);
  }

  /** Deletes an imported batch and everything derived from it; a cluster run only loses its derived data. */
  deleteBatch(ref: string): boolean {
    const b = this.getBatch(ref);
    if (!b) return false;
    const id = b.batch_id;
    this.db.transaction(() => {
      for (const t of ['analytics_telemetry', 'assays', 'phases', 'batch_metrics', 'analytics_scores', 'analytics_run_meta']) {
        this.db.prepare(`DELETE FROM ${t} WHERE batch_id = ?`).run(id);
      }
      const ops = this.db.prepare('SELECT id FROM analytics_operations WHERE batch_id = ?').pluck().all(id) as string[];
      for (const op of ops) this.db.prepare('DELETE FROM analytics_operation_parents WHERE operation_id = ? OR parent_id = ?').run(op, op);
      this.db.prepare('DELETE FROM analytics_operations WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM analytics_batches WHERE id = ?').run(id);
    })();
    return true;
  }

  private parseTime(s: string, what: string): number {
    const t = Date.parse(s);
    if (!Number.isFinite(t) || !/([zZ]|[+-]\d{2}:?\d{2})$/.test(s.trim())) {
      throw new AnalyticsError(400, `${what}: ${JSON.stringify(s)} is not a timezone-aware timestamp (use UTC, e.g. 2024-01-15T08:00:00Z)`);
    }
    return t;
  }

  // ---------------------------------------------------------------- import

  importCsv(text: string, batchName: string, o: { inoculation?: string | null } = {}): ImportResult {
    const t0 = performance.now();
    const inoculationTs = o.inoculation ? this.parseTime(o.inoculation, 'inoculation') : undefined;
    let r: PureImportResult;
    try {
      r = importCsvText(text, { inoculationTs });
    } catch (e) {
      throw new AnalyticsError(400, `import: ${(e as Error).message}`);
    }
    const batch = this.createBatch(batchName, { inoculation: o.inoculation ?? null });
    this.storeRecords(batch.batch_id, r.records, inoculationTs);
    return this.importResult(batch, r, t0);
  }

  /** One result per imported sheet (batch-per-sheet workbooks make one batch per sheet, `<name>/<sheet>`). */
  importExcel(buf: Uint8Array, batchName: string, o: { inoculation?: string | null } = {}): ImportResult[] {
    const t0 = performance.now();
    const inoculationTs = o.inoculation ? this.parseTime(o.inoculation, 'inoculation') : undefined;
    let x;
    try {
      x = importXlsx(buf, { inoculationTs });
    } catch (e) {
      throw new AnalyticsError(400, `import: ${(e as Error).message}`);
    }
    const out: ImportResult[] = [];
    if (x.mode === 'batch-per-sheet') {
      for (const s of x.sheets) {
        if (!s.result) continue;
        const b = this.createBatch(`${batchName}/${s.sheet}`, { inoculation: o.inoculation ?? null });
        this.storeRecords(b.batch_id, s.result.records, inoculationTs);
        out.push(this.importResult(b, s.result, t0));
      }
    } else {
      const b = this.createBatch(batchName, {
        inoculation: o.inoculation ?? null,
        strain: x.metadata.strain ?? null,
        media: x.metadata.media ?? null,
        operator: x.metadata.operator ?? null,
      });
      for (const s of x.sheets) {
        if (!s.result) continue;
        if (s.kind === 'assay') this.addAssays(b.batch_id, s.result.records.map((r) => ({ ts: ts(r.ts), variable: r.variable, value: r.value, uncertainty: 0, unit: r.unit, method: null })));
        else this.storeRecords(b.batch_id, s.result.records, inoculationTs);
        out.push(this.importResult(b, s.result, t0));
      }
    }
    if (out.length === 0) throw new AnalyticsError(400, `import: no sheet held data (${x.warnings.join('; ') || 'empty workbook'})`);
    return out;
  }

  private importResult(b: Batch, r: PureImportResult, t0: number): ImportResult {
    return {
      batch_id: b.batch_id,
      batch_name: b.name,
      rows_imported: r.rowsImported,
      records_imported: r.recordsImported,
      columns_mapped: r.columnsMapped,
      units_converted: r.unitsConverted,
      warnings: r.warnings,
      elapsed_seconds: (performance.now() - t0) / 1000,
    };
  }

  private storeRecords(batchId: string, records: readonly ImportRecord[], inoculationTs?: number): void {
    let t0 = inoculationTs;
    if (t0 === undefined) for (const r of records) t0 = t0 === undefined ? r.ts : Math.min(t0, r.ts);
    const ins = this.db.prepare('INSERT INTO analytics_telemetry (batch_id, timestamp, elapsed_h, variable, value, unit) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of records) {
        if (!Number.isFinite(r.value)) continue;
        ins.run(batchId, ts(r.ts), (r.ts - (t0 ?? r.ts)) / MS_PER_HOUR, r.variable, r.value, r.unit);
      }
      if (t0 !== undefined) this.db.prepare('UPDATE analytics_batches SET started_at = COALESCE(started_at, ?) WHERE id = ?').run(ts(t0), batchId);
    })();
  }

  /** Append telemetry rows to an imported batch. */
  addTelemetry(ref: string, rows: readonly Omit<TelemetryRow, 'elapsed_h'>[]): number {
    const b = this.batch(ref);
    if (b.source === 'cluster') throw new AnalyticsError(409, 'a cluster run reads its telemetry from the cluster tables');
    this.storeRecords(
      b.batch_id,
      rows.map((r) => ({ ts: this.parseTime(r.ts, 'ts'), variable: r.variable, value: r.value, unit: r.unit })),
      b.started_at ? ms(b.started_at) : undefined,
    );
    return rows.length;
  }

  addAssays(ref: string, rows: readonly AssayRow[]): number {
    const b = this.batch(ref);
    const ins = this.db.prepare('INSERT INTO assays (batch_id, timestamp, variable, value, uncertainty, unit, method) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) {
        if (!Number.isFinite(r.value) || !(r.uncertainty >= 0) || !Number.isFinite(r.uncertainty)) {
          throw new AnalyticsError(400, `assay ${r.variable}: value must be finite and uncertainty finite and >= 0`);
        }
        ins.run(b.batch_id, ts(this.parseTime(r.ts, 'ts')), r.variable, r.value, r.uncertainty, r.unit ?? null, r.method ?? null);
      }
    })();
    return rows.length;
  }

  // ---------------------------------------------------------------- reads

  getTelemetry(ref: string, variables?: readonly string[]): TelemetryRow[] {
    const b = this.batch(ref);
    const run = parseRunBatchId(b.batch_id);
    // variable names match case-insensitively (the importer stores pH as `ph`)
    const wanted = variables ? new Set(variables.map((v) => v.toLowerCase())) : null;
    const want = (v: string) => !wanted || wanted.has(v.toLowerCase());
    if (!run) {
      const rows = this.db
        .prepare('SELECT timestamp AS ts, elapsed_h, variable, value, unit FROM analytics_telemetry WHERE batch_id = ? ORDER BY timestamp, variable')
        .all(b.batch_id) as TelemetryRow[];
      return variables ? rows.filter((r) => want(r.variable)) : rows;
    }
    const created = this.db.prepare('SELECT created_at FROM experiments WHERE experiment = ?').pluck().get(run.experiment) as string | undefined;
    const t0 = created ? ms(created) : null;
    const out: TelemetryRow[] = [];
    for (const v of RUN_VARIABLES) {
      if (!want(v.variable)) continue;
      const rows = this.db
        .prepare(`SELECT timestamp, ${v.column} AS value FROM ${v.table} WHERE experiment = ? AND pioreactor_unit = ? ORDER BY timestamp`)
        .all(run.experiment, run.unit) as { timestamp: string; value: number }[];
      for (const r of rows) out.push({ ts: r.timestamp, elapsed_h: t0 === null ? null : (ms(r.timestamp) - t0) / MS_PER_HOUR, variable: v.variable, value: r.value, unit: v.unit });
    }
    return out.sort((a, c) => (a.ts < c.ts ? -1 : a.ts > c.ts ? 1 : a.variable < c.variable ? -1 : 1));
  }

  getAssay(ref: string): AssayRow[] {
    const b = this.batch(ref);
    return this.db
      .prepare('SELECT timestamp AS ts, variable, value, uncertainty, unit, method FROM assays WHERE batch_id = ? ORDER BY timestamp, variable')
      .all(b.batch_id) as AssayRow[];
  }

  /**
   * Each assay joined, in SQL, to the nearest EARLIER (or equal) telemetry timestamp of the batch (as-of
   * join), with every telemetry variable recorded at that timestamp.
   */
  getUnifiedView(ref: string): UnifiedRow[] {
    const b = this.batch(ref);
    const src = parseRunBatchId(b.batch_id) ? 'telemetry' : 'analytics_telemetry';
    const rows = this.db
      .prepare(
        `WITH a AS (
           SELECT a.rowid AS rid, a.batch_id, a.timestamp, a.variable, a.value, a.uncertainty,
             (SELECT MAX(t.timestamp) FROM ${src} t WHERE t.batch_id = a.batch_id AND t.timestamp <= a.timestamp) AS telemetry_ts
           FROM assays a WHERE a.batch_id = ?)
         SELECT a.rid, a.timestamp, a.variable, a.value, a.uncertainty, a.telemetry_ts, t.variable AS tv, t.value AS tval
         FROM a LEFT JOIN ${src} t ON t.batch_id = a.batch_id AND t.timestamp = a.telemetry_ts
         ORDER BY a.timestamp, a.variable, a.rid, t.variable`,
      )
      .all(b.batch_id) as { rid: number; timestamp: string; variable: string; value: number; uncertainty: number; telemetry_ts: string | null; tv: string | null; tval: number | null }[];
    const out: UnifiedRow[] = [];
    let last = -1;
    for (const r of rows) {
      if (r.rid !== last) {
        out.push({ ts: r.timestamp, assay_variable: r.variable, assay_value: r.value, uncertainty: r.uncertainty, telemetry_ts: r.telemetry_ts, telemetry: {} });
        last = r.rid;
      }
      if (r.tv !== null && r.tval !== null) out[out.length - 1].telemetry[r.tv] = r.tval;
    }
    return out;
  }

  /** One variable as a Series (ts ascending, duplicates kept). */
  series(ref: string, variable: string): Series {
    const rows = this.getTelemetry(ref, [variable]);
    return { ts: Float64Array.from(rows, (r) => ms(r.ts)), values: Float64Array.from(rows, (r) => r.value) };
  }

  /** OD600 when the batch has it, else od_filtered (cluster runs), else the first variable it has. */
  defaultSignal(ref: string): string {
    const vars = new Set(this.getTelemetry(ref).map((r) => r.variable));
    for (const v of ['OD600', 'od_filtered', 'od', 'biomass']) if (vars.has(v)) return v;
    // (checked in order: an imported OD600 wins over a cluster run's od_filtered)
    const first = [...vars][0];
    if (!first) throw new AnalyticsError(409, `batch ${JSON.stringify(ref)} has no telemetry`);
    return first;
  }

  // ---------------------------------------------------------------- phases and metrics

  detectPhases(ref: string, o: { signal?: string; min_size?: number } = {}): PhaseAnnotation[] {
    return this.detectGrowth(ref, o).phases;
  }

  /** Growth-rate phases (library phases.ts), stored as method `growth`; with the library's result. */
  private detectGrowth(ref: string, o: { signal?: string; min_size?: number }): { phases: PhaseAnnotation[]; growth: ReturnType<typeof detectGrowthPhases> } {
    const b = this.batch(ref);
    const signal = o.signal ?? this.defaultSignal(b.batch_id);
    const s = this.series(b.batch_id, signal);
    if (s.ts.length < 2) throw new AnalyticsError(409, `No data for signal variable '${signal}' in batch ${b.name}`);
    const growth = detectGrowthPhases(s.ts, s.values, { minPoints: o.min_size, signalVariable: signal });
    const phases = growth.segments.map((g) => this.annotation(b, g.phase, g.startTs, g.endTs, g.confidence, signal, 'growth', g.growthRatePerHour));
    this.savePhases(b.batch_id, 'growth', phases);
    return { phases, growth };
  }

  detectPhasesOnline(ref: string, o: { signal?: string; hazard_rate?: number; threshold?: number } = {}): PhaseAnnotation[] {
    const b = this.batch(ref);
    const signal = o.signal ?? this.defaultSignal(b.batch_id);
    const s = this.series(b.batch_id, signal);
    const n = s.ts.length;
    if (n < 2) throw new AnalyticsError(409, `No data for signal variable '${signal}' in batch ${b.name}`);
    const hazard = o.hazard_rate ?? 1 / 250;
    if (!(hazard > 0 && hazard < 1)) throw new AnalyticsError(400, 'hazard_rate must be inside (0, 1)');
    const cps = bocpdChangepoints(s.values, { hazardRate: hazard, threshold: o.threshold ?? 0.5 });
    const phases = labelChangepointSegments(s.ts, s.values, cps).map((g) =>
      this.annotation(b, g.phase, s.ts[g.startIndex], s.ts[Math.min(g.endIndex - 1, n - 1)], 1, signal, 'bocpd', g.growthRatePerHour),
    );
    this.savePhases(b.batch_id, 'bocpd', phases);
    return phases;
  }

  private annotation(b: Batch, phase: PhaseType, startMs: number, endMs: number, confidence: number, signal: string, method: PhaseAnnotation['method'], rate: number | null): PhaseAnnotation {
    const origin = this.origin(b);
    return {
      batch_id: b.batch_id,
      phase_type: phase,
      start_ts: ts(startMs),
      end_ts: ts(endMs),
      start_h: (startMs - origin) / MS_PER_HOUR,
      end_h: (endMs - origin) / MS_PER_HOUR,
      confidence,
      signal_variable: signal,
      method,
      growth_rate: rate === null ? null : finiteOrNull(rate),
    };
  }

  /** Hours are counted from the batch's start (inoculation / first assignment). */
  private origin(b: Batch): number {
    if (b.started_at) return ms(b.started_at);
    const first = this.getTelemetry(b.batch_id)[0];
    return first ? ms(first.ts) : 0;
  }

  savePhases(batchId: string, method: PhaseAnnotation['method'], phases: readonly PhaseAnnotation[]): void {
    const ins = this.db.prepare(
      `INSERT INTO phases (batch_id, phase, start_h, end_h, confidence, start_ts, end_ts, signal_variable, method, growth_rate, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM phases WHERE batch_id = ? AND method = ?').run(batchId, method);
      phases.forEach((p, i) => ins.run(batchId, p.phase_type, p.start_h, p.end_h, p.confidence, p.start_ts, p.end_ts, p.signal_variable, method, p.growth_rate, i));
    })();
  }

  getPhases(ref: string, method?: PhaseAnnotation['method']): PhaseAnnotation[] {
    const b = this.batch(ref);
    const rows = this.db
      .prepare(`SELECT * FROM phases WHERE batch_id = ? ${method ? 'AND method = ?' : ''} ORDER BY method, seq`)
      .all(...(method ? [b.batch_id, method] : [b.batch_id])) as Record<string, unknown>[];
    return rows.map((r) => ({
      batch_id: b.batch_id,
      phase_type: r.phase as PhaseType,
      start_ts: r.start_ts as string,
      end_ts: r.end_ts as string,
      start_h: r.start_h as number,
      end_h: r.end_h as number,
      confidence: (r.confidence as number | null) ?? 0,
      signal_variable: r.signal_variable as string,
      method: r.method as PhaseAnnotation['method'],
      growth_rate: r.growth_rate as number | null,
    }));
  }

  /**
   * Phase detection then, for each exponential phase, mu = its largest windowed d ln X/dt (library
   * growth-rate.ts) with the window's r^2, standard error and 95 % confidence interval.
   */
  computeMetrics(ref: string, o: { signal?: string } = {}): BatchMetrics[] {
    const b = this.batch(ref);
    const signal = o.signal ?? this.defaultSignal(b.batch_id);
    const { growth } = this.detectGrowth(b.batch_id, { signal });
    const out: BatchMetrics[] = [];
    for (const g of growth.segments) {
      const m = g.metadata;
      if (g.phase !== 'exponential' || typeof m.mu_max !== 'number' || !Number.isFinite(m.mu_max)) continue;
      const num = (v: unknown) => (typeof v === 'number' ? finiteOrNull(v) : null);
      out.push({
        batch_id: b.batch_id,
        phase_type: g.phase,
        mu: m.mu_max,
        qp: null,
        yx_s: null,
        yp_s: null,
        r_squared: num(m.mu_max_r_squared),
        mu_std_err: num(m.mu_max_std_err),
        mu_ci_low: num(m.mu_max_ci_low),
        mu_ci_high: num(m.mu_max_ci_high),
        signal_variable: signal,
      });
    }
    const ins = this.db.prepare('INSERT INTO batch_metrics (batch_id, phase, mu, qp, yx_s, yp_s, r_squared, mu_std_err, signal_variable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM batch_metrics WHERE batch_id = ?').run(b.batch_id);
      for (const m of out) ins.run(m.batch_id, m.phase_type, m.mu, m.qp, m.yx_s, m.yp_s, m.r_squared, m.mu_std_err, m.signal_variable);
    })();
    return out;
  }

  // ---------------------------------------------------------------- alignment, golden profiles, scores

  private runData(b: Batch, signal: string, variables: readonly string[]): RunData {
    const phases = this.detectPhases(b.batch_id, { signal });
    const series: Record<string, Series> = {};
    for (const v of new Set([signal, ...variables])) series[v] = this.series(b.batch_id, v);
    return { name: b.batch_id, series, phases: phases.map((p) => ({ phase: p.phase_type, startTs: ms(p.start_ts) })) };
  }

  align(refs: readonly string[], o: { signal?: string; variables?: string[]; resolution_minutes?: number } = {}): AlignResult {
    if (refs.length === 0) throw new AnalyticsError(400, 'align needs at least one batch');
    const batches = refs.map((r) => this.batch(r));
    const signal = o.signal ?? 'OD600';
    const vars = o.variables ?? [signal];
    let t;
    try {
      t = alignRuns(
        batches.map((b) => this.runData(b, signal, vars)),
        { variables: vars, resolutionMinutes: o.resolution_minutes },
      );
    } catch (e) {
      throw new AnalyticsError(409, (e as Error).message);
    }
    const columns: AlignResult['columns'] = {};
    for (const [k, v] of Object.entries(t.columns)) columns[k] = Array.from(v, finiteOrNull);
    return { elapsed_hours: Array.from(t.elapsedHours), columns, batch_names: Object.fromEntries(batches.map((b) => [b.batch_id, b.name])) };
  }

  createGoldenProfile(
    refs: readonly string[],
    variables: readonly string[],
    o: { signal?: string; name?: string; metadata?: Record<string, unknown>; resolution_minutes?: number } = {},
  ): GoldenProfileDoc {
    if (refs.length === 0 || variables.length === 0) throw new AnalyticsError(400, 'a golden profile needs batches and variables');
    const batches = refs.map((r) => this.batch(r));
    const signal = o.signal ?? 'OD600';
    let p: GoldenProfile;
    try {
      p = buildCalibratedGoldenProfile(
        batches.map((b) => this.runData(b, signal, variables)),
        variables,
        { resolutionMinutes: o.resolution_minutes ?? 15 },
      );
    } catch (e) {
      throw new AnalyticsError(409, (e as Error).message);
    }
    const doc: GoldenProfileDoc = {
      profile_id: randomUUID(),
      name: o.name ?? null,
      signal,
      variables: p.variables,
      elapsed_hours: p.elapsedHours,
      mean: p.mean.map((r) => r.map(finiteOrNull)),
      std: p.std.map((r) => r.map(finiteOrNull)),
      count: p.count,
      source_batch_ids: p.sourceRuns,
      created_at: ts(this.now()),
      metadata: o.metadata ?? {},
      ...(p.calibration ? { calibration: p.calibration } : {}),
    };
    this.saveProfile(doc);
    return doc;
  }

  saveProfile(doc: GoldenProfileDoc): void {
    this.db
      .prepare('INSERT OR REPLACE INTO golden_profiles (id, name, variables, source_batch_ids, created_at, profile) VALUES (?, ?, ?, ?, ?, ?)')
      .run(doc.profile_id, doc.name, JSON.stringify(doc.variables), JSON.stringify(doc.source_batch_ids), doc.created_at, JSON.stringify(doc));
  }

  getProfile(id: string): GoldenProfileDoc | null {
    const s = this.db.prepare('SELECT profile FROM golden_profiles WHERE id = ?').pluck().get(id) as string | undefined;
    return s ? (JSON.parse(s) as GoldenProfileDoc) : null;
  }

  /** Every stored golden profile, newest first, without its mean and std. */
  listProfiles(): GoldenProfileSummary[] {
    const rows = this.db
      .prepare(
        `SELECT id, name, variables, source_batch_ids, created_at, json_extract(profile, '$.signal') AS signal,
           json_array_length(profile, '$.elapsed_hours') AS points
         FROM golden_profiles ORDER BY created_at DESC, rowid DESC`,
      )
      .all() as { id: string; name: string | null; variables: string; source_batch_ids: string; created_at: string; signal: string | null; points: number | null }[];
    return rows.map((r) => ({
      profile_id: r.id,
      name: r.name,
      signal: r.signal ?? 'OD600',
      variables: JSON.parse(r.variables) as string[],
      source_batch_ids: JSON.parse(r.source_batch_ids) as string[],
      created_at: r.created_at,
      points: r.points ?? 0,
    }));
  }

  scoreBatch(profile: GoldenProfileDoc | string, ref: string, o: { max_distance?: number } = {}): BatchScore {
    const doc = typeof profile === 'string' ? this.getProfile(profile) : profile;
    if (!doc) throw new AnalyticsError(404, `no golden profile ${JSON.stringify(profile)}`);
    const b = this.batch(ref);
    const gp = profileFromDoc(doc);
    const traj = binTrajectory(this.trajectory(b.batch_id, doc.variables), profileStepHours(gp));
    if (traj.length === 0) throw new AnalyticsError(409, `batch ${b.name} has no samples of ${doc.variables.join(', ')}`);
    const r = scoreAgainstProfile(gp, traj, o.max_distance ?? 2);
    const score: BatchScore = {
      batch_id: b.batch_id,
      profile_id: doc.profile_id,
      score: r.score,
      dtw_normalized_distance: r.dtwNormalizedDistance,
      variables: doc.variables,
      scale: r.scale,
    };
    this.db
      .prepare('INSERT INTO analytics_scores (batch_id, profile_id, score, dtw_normalized_distance, variables, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(b.batch_id, doc.profile_id, score.score, finiteOrNull(score.dtw_normalized_distance), JSON.stringify(doc.variables), ts(this.now()));
    return score;
  }

  /**
   * A batch's samples of `variables` as rows (ts ms ascending, values in that order), keeping only the
   * timestamps where every variable has a finite value.
   */
  trajectory(ref: string, variables: readonly string[]): { ts: number; values: number[] }[] {
    const V = variables.length;
    const byTs = new Map<string, number[]>();
    for (const r of this.getTelemetry(ref, variables)) {
      const k = variables.findIndex((v) => v.toLowerCase() === r.variable.toLowerCase());
      let row = byTs.get(r.ts);
      if (!row) byTs.set(r.ts, (row = new Array<number>(V).fill(NaN)));
      row[k] = r.value;
    }
    return [...byTs.entries()]
      .sort((a, c) => (a[0] < c[0] ? -1 : 1))
      .filter((e) => e[1].every(Number.isFinite))
      .map(([t, values]) => ({ ts: ms(t), values }));
  }

  // ---------------------------------------------------------------- PAT

  predictPat(ref: string, sensor: SoftSensor | SoftSensorSpec): PredictionRow[] {
    const s: SoftSensor = 'predict' in sensor ? sensor : new LinearSoftSensor(sensor.input, sensor.output, sensor.slope, sensor.intercept, sensor.prediction_std ?? 0);
    const b = this.batch(ref);
    const tel = this.getTelemetry(b.batch_id);
    const inputs = s.inputVariables.map((v) => tel.filter((r) => r.variable === v));
    const missing = s.inputVariables.filter((_, i) => inputs[i].length === 0);
    if (missing.length) throw new AnalyticsError(409, `batch ${b.name} has no ${missing.join(', ')} (the sensor's inputs)`);
    const n = inputs[0].length;
    if (inputs.some((x) => x.length !== n)) throw new AnalyticsError(409, 'the sensor inputs have different sample counts');
    let pred;
    try {
      pred = s.predict(inputs.map((x) => x.map((r) => r.value)));
    } catch (e) {
      throw new AnalyticsError(400, `Soft-sensor prediction failed: ${(e as Error).message}`);
    }
    const out: PredictionRow[] = tel.map((r) => ({ ...r, uncertainty: null, source: 'telemetry' as const }));
    inputs[0].forEach((r, i) =>
      out.push({ ts: r.ts, elapsed_h: r.elapsed_h, variable: s.outputVariable, value: pred.value[i], unit: null, uncertainty: pred.uncertainty ? pred.uncertainty[i] : null, source: 'soft_sensor' }),
    );
    return out;
  }

  // ---------------------------------------------------------------- query and export

  telemetryVariables(): string[] {
    const stored = this.db.prepare('SELECT DISTINCT variable FROM analytics_telemetry').pluck().all() as string[];
    const seen = new Map<string, string>();
    for (const v of [...DEFAULT_TELEMETRY_VARIABLES, ...RUN_VARIABLES.map((x) => x.variable), ...stored]) {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && !seen.has(v.toLowerCase())) seen.set(v.toLowerCase(), v);
    }
    return [...seen.values()];
  }

  query(text: string): QueryResult {
    let c;
    try {
      c = compileQuery(text, { telemetryVariables: this.telemetryVariables() });
    } catch (e) {
      if (e instanceof DslError) throw new AnalyticsError(400, e.message);
      throw new AnalyticsError(400, (e as Error).message);
    }
    try {
      const stmt = this.db.prepare(c.sql);
      if (!stmt.readonly) throw new Error('not a read-only statement');
      const rows = stmt.all(...(c.params as unknown[])) as Record<string, unknown>[];
      return { sql: c.sql, columns: stmt.columns().map((x) => x.name), rows };
    } catch (e) {
      throw new AnalyticsError(400, `query failed: ${(e as Error).message}`);
    }
  }

  exportBatch(ref: string, format: ExportFormat = 'csv'): Buffer {
    const b = this.batch(ref);
    const rows = this.getTelemetry(b.batch_id);
    const table: ColumnTable = {
      columns: [
        { name: 'batch_id', type: 'utf8', values: rows.map(() => b.batch_id) },
        { name: 'ts', type: 'timestamp_ms', values: rows.map((r) => ms(r.ts)) },
        { name: 'elapsed_h', type: 'float64', values: rows.map((r) => r.elapsed_h) },
        { name: 'variable', type: 'utf8', values: rows.map((r) => r.variable) },
        { name: 'value', type: 'float64', values: rows.map((r) => r.value) },
        { name: 'unit', type: 'utf8', values: rows.map((r) => r.unit) },
      ],
    };
    if (format === 'csv') return writeCsv(table);
    if (format === 'parquet') return writeParquet(table);
    if (format === 'arrow') return writeArrowFile(table);
    throw new AnalyticsError(400, `unknown export format ${JSON.stringify(format)} (csv, parquet, arrow)`);
  }

  // ---------------------------------------------------------------- lineage

  addOperation(op: NewOperation): UnitOperation {
    const b = this.batch(op.batch_id);
    const id = op.operation_id ?? randomUUID();
    const parents = [...new Set(op.parent_ids ?? [])];
    if (!op.name || !op.operation_type) throw new AnalyticsError(400, 'an operation needs a name and an operation_type');
    this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM analytics_operations WHERE id = ?').get(id)) throw new AnalyticsError(409, `operation ${id} exists`);
      for (const p of parents) {
        if (!this.db.prepare('SELECT 1 FROM analytics_operations WHERE id = ?').get(p)) throw new AnalyticsError(400, `parent operation ${p} does not exist`);
      }
      this.db
        .prepare('INSERT INTO analytics_operations (id, batch_id, name, operation_type, started_at, ended_at, parameters) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, b.batch_id, op.name, op.operation_type, op.started_at ?? null, op.ended_at ?? null, JSON.stringify(op.parameters ?? {}));
      for (const p of parents) this.linkUnchecked(id, p);
    })();
    return this.operation(id);
  }

  /** Add the edge parent -> child, refusing one that would close a cycle. */
  linkOperations(childId: string, parentId: string): UnitOperation {
    this.db.transaction(() => {
      for (const x of [childId, parentId]) if (!this.db.prepare('SELECT 1 FROM analytics_operations WHERE id = ?').get(x)) throw new AnalyticsError(404, `no operation ${x}`);
      if (childId === parentId || this.upstreamIds(parentId).includes(childId)) {
        throw new AnalyticsError(409, `linking ${parentId} -> ${childId} would create a cycle in the lineage`);
      }
      this.linkUnchecked(childId, parentId);
    })();
    return this.operation(childId);
  }

  private linkUnchecked(child: string, parent: string): void {
    this.db.prepare('INSERT OR IGNORE INTO analytics_operation_parents (operation_id, parent_id) VALUES (?, ?)').run(child, parent);
  }

  private upstreamIds(id: string): string[] {
    return this.db
      .prepare(
        `WITH RECURSIVE up(id) AS (SELECT parent_id FROM analytics_operation_parents WHERE operation_id = ?
           UNION SELECT p.parent_id FROM analytics_operation_parents p JOIN up ON p.operation_id = up.id)
         SELECT id FROM up`,
      )
      .pluck()
      .all(id) as string[];
  }

  private downstreamIds(id: string): string[] {
    return this.db
      .prepare(
        `WITH RECURSIVE down(id) AS (SELECT operation_id FROM analytics_operation_parents WHERE parent_id = ?
           UNION SELECT p.operation_id FROM analytics_operation_parents p JOIN down ON p.parent_id = down.id)
         SELECT id FROM down`,
      )
      .pluck()
      .all(id) as string[];
  }

  operation(id: string): UnitOperation {
    const r = this.db.prepare('SELECT * FROM analytics_operations WHERE id = ?').get(id) as Record<string, string | null> | undefined;
    if (!r) throw new AnalyticsError(404, `no operation ${id}`);
    const parents = this.db.prepare('SELECT parent_id FROM analytics_operation_parents WHERE operation_id = ? ORDER BY parent_id').pluck().all(id) as string[];
    return {
      operation_id: r.id as string,
      batch_id: r.batch_id as string,
      name: r.name as string,
      operation_type: r.operation_type as string,
      parent_ids: parents,
      started_at: r.started_at,
      ended_at: r.ended_at,
      parameters: JSON.parse(r.parameters as string) as UnitOperation['parameters'],
    };
  }

  /** A batch's operations, or (with `from`) the operations up- or downstream of one operation. */
  getLineage(ref: string, o: { from?: string; direction?: 'upstream' | 'downstream' } = {}): UnitOperation[] {
    const b = this.batch(ref);
    if (o.from) {
      const ids = o.direction === 'downstream' ? this.downstreamIds(o.from) : this.upstreamIds(o.from);
      return ids.map((i) => this.operation(i));
    }
    const ids = this.db.prepare('SELECT id FROM analytics_operations WHERE batch_id = ? ORDER BY rowid').pluck().all(b.batch_id) as string[];
    return ids.map((i) => this.operation(i));
  }

  /** Metadata of a cluster run (strain, media, ...), kept beside the Pioreactor tables. */
  setRunMeta(experiment: string, unit: string, o: CreateBatchOptions): Batch | null {
    const id = runBatchId(experiment, unit);
    this.db
      .prepare(
        `INSERT INTO analytics_run_meta (batch_id, status, strain, media, scale, operator, tags) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (batch_id) DO UPDATE SET status = excluded.status, strain = excluded.strain, media = excluded.media,
           scale = excluded.scale, operator = excluded.operator, tags = excluded.tags`,
      )
      .run(id, o.lifecycle ?? null, o.strain ?? null, o.media ?? null, o.scale_liters ?? null, o.operator ?? null, o.tags ? JSON.stringify(o.tags) : null);
    return this.getBatch(id);
  }
}

/** A stored profile document as the library's GoldenProfile, without the grid rows whose mean is incomplete. */
export function profileFromDoc(doc: GoldenProfileDoc): GoldenProfile {
  const keep = doc.mean.map((row) => row.every((v) => v !== null && Number.isFinite(v)));
  return {
    variables: doc.variables,
    elapsedHours: doc.elapsed_hours.filter((_, i) => keep[i]),
    mean: doc.mean.filter((_, i) => keep[i]) as number[][],
    std: doc.std.filter((_, i) => keep[i]).map((r) => r.map((v) => v ?? NaN)),
    count: doc.count?.filter((_, i) => keep[i]),
    sourceRuns: doc.source_batch_ids,
    calibration: doc.calibration,
  };
}
