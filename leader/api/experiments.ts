/** `/api/experiments...`: create, list, read, update and delete experiments; assign workers (pioreactor-api.md §2.1). */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { runningProfiles } from './profile-runs.js';
import { ApiError } from '../http/errors.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { assignWorker, createExperiment, experimentExists, unassignWorker, workerExists } from '../db/assignments.js';
import { apiLog, background, clusterList, FANOUT_TIMEOUTS, tablesWithExperiment, unitParam, workersIn } from './core-util.js';

const NewExperiment = z.looseObject({
  experiment: z.string().max(10_000),
  description: z.string().max(100_000).nullish(),
  mediaUsed: z.string().max(10_000).nullish(),
  organismUsed: z.string().max(10_000).nullish(),
});

/** The name rules of the reference's POST /experiments. */
export function experimentNameProblem(name: string): string | null {
  if (name.trim() === '') return 'Experiment name cannot be empty.';
  if (name.length >= 200) return 'Experiment name is too long (200 characters or more).';
  if (name.toLowerCase() === 'current') return 'Experiment name cannot be "current".';
  if (name.startsWith('_testing')) return 'Experiment name cannot start with "_testing".';
  if (/[#+$/%\\]/.test(name)) return 'Experiment name cannot contain any of # + $ / % \\.';
  return null;
}

function deltaHours(createdAt: string, now: number): number {
  const t = Date.parse(createdAt);
  return Number.isFinite(t) ? Math.round((now - t) / 3_600_000) : 0;
}

/**
 * Media and organism of an experiment. Pioreactor 26.2.26 keeps them in `experiments.media_used/organism_used`
 * (dropped in 26.6); our schema follows the newer one, so they live in `experiment_tags` as `media_used:<v>`.
 */
const META = { media_used: 'media_used:', organism_used: 'organism_used:' } as const;

function metaOf(ctx: LeaderContext, experiment: string): { media_used: string | null; organism_used: string | null } {
  const tags = ctx.db.prepare('SELECT tag FROM experiment_tags WHERE experiment = ?').all(experiment) as Array<{ tag: string }>;
  const find = (p: string) => tags.find((t) => t.tag.startsWith(p))?.tag.slice(p.length) ?? null;
  return { media_used: find(META.media_used), organism_used: find(META.organism_used) };
}

type ExpRow = { experiment: string; created_at: string; description: string | null };

export const experimentRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const { db } = ctx;
  const withDelta = (r: ExpRow) => ({ experiment: r.experiment, created_at: r.created_at, description: r.description, delta_hours: deltaHours(r.created_at, ctx.clock.now()) });

  app.get('/api/experiments', async () => {
    const rows = db.prepare('SELECT experiment, created_at, description FROM experiments ORDER BY created_at DESC').all() as ExpRow[];
    return rows.map(withDelta);
  });

  app.post('/api/experiments', async (req, reply) => {
    const body = NewExperiment.parse(req.body ?? {});
    const problem = experimentNameProblem(body.experiment);
    if (problem) throw new ApiError(400, problem);
    if (experimentExists(db, body.experiment)) throw new ApiError(409, 'Experiment already exists');
    const now = ctx.clock.now();
    db.transaction(() => {
      createExperiment(db, body.experiment, body.description ?? '', now);
      const tag = db.prepare('INSERT OR REPLACE INTO experiment_tags (experiment, tag, created_at) VALUES (?, ?, ?)');
      if (body.mediaUsed) tag.run(body.experiment, META.media_used + body.mediaUsed, formatTimestamp(now));
      if (body.organismUsed) tag.run(body.experiment, META.organism_used + body.organismUsed, formatTimestamp(now));
    })();
    apiLog(ctx, body.experiment, `New experiment created: ${body.experiment}`, 'create_experiment');
    return reply.status(201).send({ status: 'success' });
  });

  app.get('/api/experiments/latest', async (_req, reply) => {
    const r = db.prepare('SELECT experiment, created_at, description FROM experiments ORDER BY rowid DESC LIMIT 1').get() as ExpRow | undefined;
    reply.header('Cache-Control', 'public, max-age=2');
    if (!r) return reply.type('application/json').send('null');
    const { delta_hours, ...rest } = withDelta(r);
    return { ...rest, ...metaOf(ctx, r.experiment), delta_hours };
  });

  app.get('/api/experiments/active', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=2');
    const rows = db
      .prepare(
        `SELECT e.experiment, e.created_at, e.description FROM experiments e
         WHERE EXISTS (SELECT 1 FROM experiment_worker_assignments a JOIN workers w ON w.pioreactor_unit = a.pioreactor_unit
                       WHERE a.experiment = e.experiment AND w.is_active = 1)
         ORDER BY e.created_at DESC`,
      )
      .all() as ExpRow[];
    return rows.map(withDelta);
  });

  app.get('/api/experiments/assignment_count', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=2');
    return db
      .prepare(
        `SELECT a.experiment, count(*) AS worker_count FROM experiment_worker_assignments a
         JOIN workers w ON w.pioreactor_unit = a.pioreactor_unit GROUP BY a.experiment HAVING count(*) > 0 ORDER BY a.experiment`,
      )
      .all();
  });

  app.get('/api/historical_media', async () =>
    (db.prepare(`SELECT substr(tag, ?) AS key, max(created_at) AS t FROM experiment_tags WHERE tag LIKE 'media\\_used:_%' ESCAPE '\\' GROUP BY key ORDER BY t DESC`).all(META.media_used.length + 1) as Array<{ key: string }>).map((r) => ({ key: r.key })),
  );

  app.get('/api/historical_organisms', async () =>
    (db.prepare(`SELECT substr(tag, ?) AS key, max(created_at) AS t FROM experiment_tags WHERE tag LIKE 'organism\\_used:_%' ESCAPE '\\' GROUP BY key ORDER BY t DESC`).all(META.organism_used.length + 1) as Array<{ key: string }>).map((r) => ({ key: r.key })),
  );

  app.get<{ Params: { e: string } }>('/api/experiments/:e', async (req) => {
    const r = db.prepare('SELECT experiment, created_at, description FROM experiments WHERE experiment = ?').get(req.params.e) as ExpRow | undefined;
    if (!r) throw new ApiError(404, `Experiment ${req.params.e} not found`);
    return withDelta(r);
  });

  app.patch<{ Params: { e: string } }>('/api/experiments/:e', async (req) => {
    const body = z.looseObject({ description: z.string().max(100_000).nullish() }).parse(req.body ?? {});
    if (body.description === undefined) throw new ApiError(400, 'Missing description');
    const r = db.prepare('UPDATE experiments SET description = ? WHERE experiment = ?').run(body.description ?? '', req.params.e);
    if (r.changes === 0) throw new ApiError(404, `Experiment ${req.params.e} not found`);
    return { status: 'success' };
  });

  app.delete<{ Params: { e: string } }>('/api/experiments/:e', async (req) => {
    const e = req.params.e;
    const found = experimentExists(db, e);
    if (found) {
      // Foreign keys are off (Pioreactor's writer settings), so the cascade is explicit.
      const tables = tablesWithExperiment(ctx).filter((t) => t !== 'experiments');
      db.transaction(() => {
        for (const t of tables) db.prepare(`DELETE FROM "${t}" WHERE experiment = ?`).run(e);
        db.prepare('DELETE FROM experiments WHERE experiment = ?').run(e);
      })();
    }
    // Always, as the reference does: stop the experiment's jobs on every unit.
    background(ctx, clusterList(ctx), 'jobs.stop', { experiment: e });
    if (!found) throw new ApiError(404, `Experiment ${e} not found`);
    return { status: 'success' };
  });

  app.get<{ Params: { e: string } }>('/api/experiments/:e/workers', async (req, reply) => {
    reply.header('Cache-Control', 'public, max-age=2');
    return db
      .prepare(
        `SELECT a.pioreactor_unit, w.is_active, w.model_name, w.model_version FROM experiment_worker_assignments a
         JOIN workers w ON w.pioreactor_unit = a.pioreactor_unit WHERE a.experiment = ? ORDER BY a.pioreactor_unit`,
      )
      .all(req.params.e);
  });

  app.put<{ Params: { e: string } }>('/api/experiments/:e/workers', async (req) => {
    const body = z.looseObject({ pioreactor_unit: z.string().max(200).nullish() }).parse(req.body ?? {});
    if (!body.pioreactor_unit) throw new ApiError(400, 'Missing pioreactor_unit');
    unitParam(body.pioreactor_unit, false);
    if (!experimentExists(db, req.params.e)) throw new ApiError(404, `Experiment ${req.params.e} not found`);
    if (!workerExists(db, body.pioreactor_unit)) throw new ApiError(500, 'Failed to add to database.', `Unit ${body.pioreactor_unit} is not in the inventory.`, 'Add the worker first (PUT /api/workers).');
    await assignWorker(db, ctx.mqtt, body.pioreactor_unit, req.params.e, ctx.clock.now());
    apiLog(ctx, req.params.e, `Assigned ${body.pioreactor_unit} to ${req.params.e}.`, 'assignment');
    return { status: 'success' };
  });

  app.delete<{ Params: { e: string } }>('/api/experiments/:e/workers', async (req, reply) => {
    const e = req.params.e;
    const units = workersIn(ctx, e);
    for (const u of units) await unassignWorker(db, ctx.mqtt, u, e, ctx.clock.now());
    if (units.length) apiLog(ctx, e, `Removed all workers from ${e}.`, 'assignment');
    const ref = ctx.tasks.start(() => ctx.units.fanOut(units, 'jobs.stop', { experiment: e }, FANOUT_TIMEOUTS.post));
    return reply.status(202).send(ref);
  });

  app.delete<{ Params: { e: string; u: string } }>('/api/experiments/:e/workers/:u', async (req) => {
    const { e, u } = req.params;
    const ok = await unassignWorker(db, ctx.mqtt, u, e, ctx.clock.now());
    if (!ok) throw new ApiError(404, `${u} is not assigned to ${e}`);
    background(ctx, [u], 'jobs.stop', { experiment: e });
    apiLog(ctx, e, `Removed ${u} from ${e}.`, 'assignment');
    return { status: 'success' };
  });

  app.get<{ Params: { e: string } }>('/api/experiments/:e/historical_worker_assignments', async (req) =>
    db
      .prepare(
        `SELECT h.pioreactor_unit, h.experiment,
           CASE WHEN EXISTS (SELECT 1 FROM experiment_worker_assignments a WHERE a.pioreactor_unit = h.pioreactor_unit AND a.experiment = h.experiment) THEN 1 ELSE 0 END
             AS is_currently_assigned_to_experiment
         FROM experiment_worker_assignments_history h WHERE h.experiment = ? GROUP BY h.pioreactor_unit ORDER BY h.pioreactor_unit`,
      )
      .all(req.params.e),
  );

  app.get<{ Params: { e: string } }>('/api/experiments/:e/experiment_profiles/recent', async (req, reply) => {
    reply.header('Cache-Control', 'public, max-age=5');
    return db.prepare('SELECT started_at, experiment_profile_name, experiment FROM experiment_profile_runs WHERE experiment = ? ORDER BY started_at DESC').all(req.params.e);
  });

  app.get<{ Params: { e: string } }>('/api/experiments/:e/experiment_profiles/running', async (req) => runningProfiles(ctx, req.params.e));
};
