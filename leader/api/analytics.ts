/**
 * `/api/analytics/...`: the analytics service (leader/batches/service.ts) over HTTP, for the remote
 * ColonyAnalytics client. Bodies are zod-validated; failures answer with the `/api` error schema.
 * Also `/api/experiments/{exp}/phases`: the online phase detection of each unit of an experiment.
 *
 *   GET    /api/analytics/batches                      POST /api/analytics/batches {name, strain?, ...}
 *   GET    /api/analytics/batches/:ref                 DELETE /api/analytics/batches/:ref
 *   POST   /api/analytics/import {name, format: csv|xlsx, content (text | base64), inoculation?}
 *   GET    /api/analytics/batches/:ref/telemetry[?variables=a,b]   /assays   /unified   /phases
 *   POST   /api/analytics/batches/:ref/assays {rows}   /telemetry {rows}
 *   POST   /api/analytics/batches/:ref/phases {signal?, min_size?, online?, hazard_rate?, threshold?}
 *   POST   /api/analytics/batches/:ref/metrics {signal?}
 *   POST   /api/analytics/batches/:ref/predict {sensor}
 *   GET    /api/analytics/batches/:ref/export?format=csv|parquet|arrow
 *   GET    /api/analytics/batches/:ref/lineage[?from=OP&direction=upstream|downstream]
 *   POST   /api/analytics/batches/:ref/lineage {name, operation_type, parent_ids?, ...}
 *   POST   /api/analytics/lineage/link {child, parent}
 *   POST   /api/analytics/align {batches, signal?, variables?, resolution_minutes?}
 *   POST   /api/analytics/golden {batches, variables, signal?, name?, resolution_minutes?}
 *   GET    /api/analytics/golden                       the stored profiles, newest first (no mean / std)
 *   GET    /api/analytics/golden/:id
 *   POST   /api/analytics/score {profile (doc or id), batch, max_distance?}
 *   POST   /api/analytics/query {query}
 *
 * Phases (method `growth`) are labelled from the specific growth rate mu = d ln X/dt: lag until mu first
 * reaches 50 % of its maximum, exponential while >= 50 %, deceleration, stationary within 10 % of zero,
 * decline below -10 % (leader/analytics/growth-phases.ts); metrics report mu_max with std err and 95 % CI.
 * Golden profiles carry `count` (runs with data per grid time) and `calibration`; a score is
 * 100 * 2^(-(d / 2s)^2) with d the run's normalised DTW distance and s the RMS of the golden runs'
 * leave-one-out distances (`scale: leave-one-out`), or SporeDB's clamp(100 (1 - d / max_distance)) for an
 * uncalibrated profile (`scale: sporedb`); see leader/analytics/scoring.ts and the README's Analytics.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { AnalyticsError, AnalyticsService, LIFECYCLES, type ExportFormat, type GoldenProfileDoc } from '../batches/service.js';

const Ts = z.string().min(1).max(64);
const Name = z.string().min(1).max(500);
const Ref = z.object({ ref: z.string().min(1).max(500) });
const Vars = z.array(z.string().min(1).max(200)).max(200);

const CreateBatch = z.strictObject({
  name: Name,
  strain: z.string().max(500).nullable().optional(),
  media: z.string().max(500).nullable().optional(),
  scale_liters: z.number().positive().finite().nullable().optional(),
  operator: z.string().max(500).nullable().optional(),
  tags: z.array(z.string().max(200)).max(100).optional(),
  inoculation: Ts.nullable().optional(),
  lifecycle: z.enum(LIFECYCLES).optional(),
});
const Import = z.strictObject({
  name: Name,
  format: z.enum(['csv', 'xlsx']).default('csv'),
  content: z.string().max(64 * 1024 * 1024),
  inoculation: Ts.nullable().optional(),
});
const AssayRows = z.strictObject({
  rows: z
    .array(
      z.strictObject({
        ts: Ts,
        variable: z.string().min(1).max(200),
        value: z.number().finite(),
        uncertainty: z.number().finite().nonnegative().default(0),
        unit: z.string().max(50).nullable().default(null),
        method: z.string().max(200).nullable().default(null),
      }),
    )
    .max(1_000_000),
});
const TelemetryRows = z.strictObject({
  rows: z.array(z.strictObject({ ts: Ts, variable: z.string().min(1).max(200), value: z.number().finite(), unit: z.string().max(50).nullable().default(null) })).max(1_000_000),
});
const Phases = z.strictObject({
  signal: z.string().min(1).max(200).optional(),
  min_size: z.number().int().min(2).max(100_000).optional(),
  online: z.boolean().default(false),
  hazard_rate: z.number().gt(0).lt(1).optional(),
  threshold: z.number().min(0).max(1).optional(),
});
const Metrics = z.strictObject({ signal: z.string().min(1).max(200).optional() });
const Sensor = z.strictObject({
  sensor: z.strictObject({
    type: z.literal('linear'),
    input: z.string().min(1).max(200),
    output: z.string().min(1).max(200),
    slope: z.number().finite(),
    intercept: z.number().finite(),
    prediction_std: z.number().finite().nonnegative().optional(),
  }),
});
const Operation = z.strictObject({
  operation_id: z.string().min(1).max(200).optional(),
  name: z.string().min(1).max(500),
  operation_type: z.string().min(1).max(200),
  parent_ids: z.array(z.string().min(1).max(200)).max(1000).optional(),
  started_at: Ts.nullable().optional(),
  ended_at: Ts.nullable().optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
const Link = z.strictObject({ child: z.string().min(1).max(200), parent: z.string().min(1).max(200) });
const Align = z.strictObject({
  batches: z.array(Name).min(1).max(1000),
  signal: z.string().min(1).max(200).optional(),
  variables: Vars.optional(),
  resolution_minutes: z.number().positive().finite().optional(),
});
const Golden = z.strictObject({
  batches: z.array(Name).min(1).max(1000),
  variables: Vars.min(1),
  signal: z.string().min(1).max(200).optional(),
  name: z.string().max(500).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  resolution_minutes: z.number().positive().finite().optional(),
});
const Row = z.array(z.number().nullable());
export const ProfileDoc = z.looseObject({
  profile_id: z.string().min(1),
  name: z.string().nullable().default(null),
  signal: z.string().default('OD600'),
  variables: Vars.min(1),
  elapsed_hours: z.array(z.number()),
  mean: z.array(Row),
  std: z.array(Row),
  source_batch_ids: z.array(z.string()),
  created_at: z.string().default(''),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
const Score = z.strictObject({ profile: z.union([z.string().min(1).max(200), ProfileDoc]), batch: Name, max_distance: z.number().positive().finite().optional() });
const Query = z.strictObject({ query: z.string().min(1).max(10_000) });
const ExportQ = z.object({ format: z.enum(['csv', 'parquet', 'arrow']).default('csv') });
const TelemetryQ = z.object({ variables: z.string().max(5000).optional() });
const LineageQ = z.object({ from: z.string().min(1).max(200).optional(), direction: z.enum(['upstream', 'downstream']).optional() });

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.file',
};

/** Runs a service call, turning AnalyticsError into the error schema. */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AnalyticsError) throw new ApiError(e.status, e.message);
    throw e;
  }
}

export const analyticsRoutes =
  (ctx: LeaderContext): FastifyPluginAsync =>
  async (app) => {
    const svc = new AnalyticsService(ctx.db, () => ctx.clock.now());
    const ref = (params: unknown) => Ref.parse(params).ref;

    app.get('/api/analytics/batches', async () => call(() => svc.listBatches()));
    app.post('/api/analytics/batches', async (req, reply) => {
      const b = CreateBatch.parse(req.body);
      const { name, ...rest } = b;
      return reply.status(201).send(call(() => svc.createBatch(name, rest)));
    });
    app.get('/api/analytics/batches/:ref', async (req) => call(() => svc.batch(ref(req.params))));
    app.delete('/api/analytics/batches/:ref', async (req) => {
      const r = ref(req.params);
      const deleted = call(() => svc.deleteBatch(r));
      if (!deleted) throw new ApiError(404, `no batch ${JSON.stringify(r)}`);
      return { deleted };
    });
    app.post('/api/analytics/import', async (req, reply) => {
      const b = Import.parse(req.body);
      const out =
        b.format === 'csv'
          ? [call(() => svc.importCsv(b.content, b.name, { inoculation: b.inoculation }))]
          : call(() => svc.importExcel(Buffer.from(b.content, 'base64'), b.name, { inoculation: b.inoculation }));
      return reply.status(201).send(out);
    });
    app.get('/api/analytics/batches/:ref/telemetry', async (req) => {
      const q = TelemetryQ.parse(req.query);
      const vars = q.variables ? q.variables.split(',').map((v) => v.trim()).filter(Boolean) : undefined;
      return call(() => svc.getTelemetry(ref(req.params), vars));
    });
    app.post('/api/analytics/batches/:ref/telemetry', async (req) => {
      const b = TelemetryRows.parse(req.body);
      return { added: call(() => svc.addTelemetry(ref(req.params), b.rows)) };
    });
    app.get('/api/analytics/batches/:ref/assays', async (req) => call(() => svc.getAssay(ref(req.params))));
    app.post('/api/analytics/batches/:ref/assays', async (req) => {
      const b = AssayRows.parse(req.body);
      return { added: call(() => svc.addAssays(ref(req.params), b.rows)) };
    });
    app.get('/api/analytics/batches/:ref/unified', async (req) => call(() => svc.getUnifiedView(ref(req.params))));
    app.get('/api/analytics/batches/:ref/phases', async (req) => call(() => svc.getPhases(ref(req.params))));
    app.post('/api/analytics/batches/:ref/phases', async (req) => {
      const b = Phases.parse(req.body ?? {});
      const r = ref(req.params);
      return call(() =>
        b.online ? svc.detectPhasesOnline(r, { signal: b.signal, hazard_rate: b.hazard_rate, threshold: b.threshold }) : svc.detectPhases(r, { signal: b.signal, min_size: b.min_size }),
      );
    });
    app.post('/api/analytics/batches/:ref/metrics', async (req) => {
      const b = Metrics.parse(req.body ?? {});
      return call(() => svc.computeMetrics(ref(req.params), b));
    });
    app.post('/api/analytics/batches/:ref/predict', async (req) => {
      const b = Sensor.parse(req.body);
      return call(() => svc.predictPat(ref(req.params), b.sensor));
    });
    app.get('/api/analytics/batches/:ref/export', async (req, reply) => {
      const q = ExportQ.parse(req.query);
      const buf = call(() => svc.exportBatch(ref(req.params), q.format));
      return reply.header('content-type', CONTENT_TYPES[q.format]).send(buf);
    });
    app.get('/api/analytics/batches/:ref/lineage', async (req) => {
      const q = LineageQ.parse(req.query);
      return call(() => svc.getLineage(ref(req.params), q));
    });
    app.post('/api/analytics/batches/:ref/lineage', async (req, reply) => {
      const b = Operation.parse(req.body);
      return reply.status(201).send(call(() => svc.addOperation({ ...b, batch_id: ref(req.params) })));
    });
    app.post('/api/analytics/lineage/link', async (req) => {
      const b = Link.parse(req.body);
      return call(() => svc.linkOperations(b.child, b.parent));
    });
    app.post('/api/analytics/align', async (req) => {
      const b = Align.parse(req.body);
      return call(() => svc.align(b.batches, b));
    });
    app.post('/api/analytics/golden', async (req, reply) => {
      const b = Golden.parse(req.body);
      return reply.status(201).send(call(() => svc.createGoldenProfile(b.batches, b.variables, b)));
    });
    app.get('/api/analytics/golden', async () => call(() => svc.listProfiles()));
    app.get('/api/analytics/golden/:ref', async (req) => {
      const id = ref(req.params);
      const p = call(() => svc.getProfile(id));
      if (!p) throw new ApiError(404, `no golden profile ${JSON.stringify(id)}`);
      return p;
    });
    app.post('/api/analytics/score', async (req) => {
      const b = Score.parse(req.body);
      return call(() => svc.scoreBatch(b.profile as string | GoldenProfileDoc, b.batch, { max_distance: b.max_distance }));
    });
    app.post('/api/analytics/query', async (req) => {
      const b = Query.parse(req.body);
      return call(() => svc.query(b.query));
    });

    app.get('/api/experiments/:experiment/phases', async (req) => {
      const { experiment } = z.object({ experiment: z.string().min(1).max(500) }).parse(req.params);
      const units = ctx.db
        .prepare('SELECT pioreactor_unit, phase, phase_started_at, updated_at FROM analytics_phase_state WHERE experiment = ? ORDER BY pioreactor_unit')
        .all(experiment) as { pioreactor_unit: string; phase: string; phase_started_at: string | null; updated_at: string }[];
      const events = ctx.db
        .prepare('SELECT pioreactor_unit, phase, started_at, detected_at FROM analytics_phase_events WHERE experiment = ? ORDER BY pioreactor_unit, started_at, rowid')
        .all(experiment) as { pioreactor_unit: string; phase: string; started_at: string; detected_at: string }[];
      return units.map((u) => ({
        pioreactor_unit: u.pioreactor_unit,
        experiment,
        phase: u.phase,
        phase_started_at: u.phase_started_at,
        updated_at: u.updated_at,
        history: events.filter((e) => e.pioreactor_unit === u.pioreactor_unit).map(({ phase, started_at, detected_at }) => ({ phase, started_at, detected_at })),
      }));
    });
  };
