/** `/api/experiments...`: create, list, read experiments and assign workers (pioreactor-api.md §2.1). */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { assignWorker, createExperiment, experimentExists, unassignWorker, workerExists } from '../db/assignments.js';

const NewExperiment = z.looseObject({
  experiment: z.string(),
  description: z.string().optional(),
  mediaUsed: z.string().optional(),
  organismUsed: z.string().optional(),
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
  return Math.round((now - Date.parse(createdAt)) / 3_600_000);
}

export const experimentRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const { db } = ctx;

  app.get('/api/experiments', async () => {
    const rows = db.prepare('SELECT experiment, created_at, description FROM experiments ORDER BY created_at DESC').all() as Array<{ experiment: string; created_at: string; description: string | null }>;
    return rows.map((r) => ({ ...r, delta_hours: deltaHours(r.created_at, ctx.clock.now()) }));
  });

  app.post('/api/experiments', async (req, reply) => {
    const body = NewExperiment.parse(req.body ?? {});
    const problem = experimentNameProblem(body.experiment);
    if (problem) throw new ApiError(400, problem);
    if (experimentExists(db, body.experiment)) throw new ApiError(409, 'Experiment already exists');
    createExperiment(db, body.experiment, body.description ?? '', ctx.clock.now());
    ctx.log.info({ experiment: body.experiment }, `New experiment created: ${body.experiment}`);
    return reply.status(201).send({ status: 'success' });
  });

  app.get('/api/experiments/latest', async () => {
    const r = db.prepare('SELECT experiment, created_at, description FROM experiments ORDER BY rowid DESC LIMIT 1').get() as { experiment: string; created_at: string; description: string | null } | undefined;
    return r ? { ...r, delta_hours: deltaHours(r.created_at, ctx.clock.now()) } : null;
  });

  app.get<{ Params: { e: string } }>('/api/experiments/:e', async (req) => {
    const r = db.prepare('SELECT experiment, created_at, description FROM experiments WHERE experiment = ?').get(req.params.e) as { experiment: string; created_at: string; description: string | null } | undefined;
    if (!r) throw new ApiError(404, `Experiment ${req.params.e} not found`);
    return { ...r, delta_hours: deltaHours(r.created_at, ctx.clock.now()) };
  });

  app.get<{ Params: { e: string } }>('/api/experiments/:e/workers', async (req) =>
    db
      .prepare(
        `SELECT a.pioreactor_unit, w.is_active, w.model_name, w.model_version FROM experiment_worker_assignments a
         JOIN workers w ON w.pioreactor_unit = a.pioreactor_unit WHERE a.experiment = ? ORDER BY a.pioreactor_unit`,
      )
      .all(req.params.e),
  );

  app.put<{ Params: { e: string } }>('/api/experiments/:e/workers', async (req) => {
    const body = z.looseObject({ pioreactor_unit: z.string().min(1) }).parse(req.body ?? {});
    if (!experimentExists(db, req.params.e)) throw new ApiError(404, `Experiment ${req.params.e} not found`);
    if (!workerExists(db, body.pioreactor_unit)) throw new ApiError(500, 'Failed to add to database.', `Unit ${body.pioreactor_unit} is not in the inventory.`, 'Add the worker first (PUT /api/workers).');
    await assignWorker(db, ctx.mqtt, body.pioreactor_unit, req.params.e, ctx.clock.now());
    ctx.log.info(`Assigned ${body.pioreactor_unit} to ${req.params.e}.`);
    return { status: 'success' };
  });

  app.delete<{ Params: { e: string; u: string } }>('/api/experiments/:e/workers/:u', async (req) => {
    const ok = await unassignWorker(db, ctx.mqtt, req.params.u, req.params.e, ctx.clock.now());
    if (!ok) throw new ApiError(404, `${req.params.u} is not assigned to ${req.params.e}`);
    return { status: 'success' };
  });
};
