/** `/api/workers...`: the inventory (pioreactor-api.md §2.2). */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { isUnitName } from '../../shared/ids.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { assignedExperiment, upsertWorker } from '../db/assignments.js';

export const workerRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const { db } = ctx;

  app.get('/api/workers', async () =>
    db.prepare('SELECT pioreactor_unit, added_at, is_active, model_name, model_version FROM workers ORDER BY pioreactor_unit').all(),
  );

  app.put('/api/workers', async (req, reply) => {
    const body = z
      .looseObject({ pioreactor_unit: z.string().optional(), model_name: z.string().optional(), model_version: z.string().optional() })
      .parse(req.body ?? {});
    if (!body.pioreactor_unit) throw new ApiError(400, 'Missing unit name');
    if (!isUnitName(body.pioreactor_unit)) throw new ApiError(400, `Invalid unit name: ${JSON.stringify(body.pioreactor_unit)}`);
    upsertWorker(db, body.pioreactor_unit, ctx.clock.now(), { name: body.model_name, version: body.model_version });
    return reply.status(201).send({ status: 'success' });
  });

  app.get<{ Params: { u: string } }>('/api/workers/:u', async (req) => {
    const r = db.prepare('SELECT pioreactor_unit, added_at, is_active, model_name, model_version FROM workers WHERE pioreactor_unit = ?').get(req.params.u);
    if (!r) throw new ApiError(404, `Worker ${req.params.u} not found`);
    return r;
  });

  app.get<{ Params: { u: string } }>('/api/workers/:u/experiment', async (req) => {
    const e = assignedExperiment(db, req.params.u);
    if (!e) throw new ApiError(404, `Worker ${req.params.u} is not assigned to an experiment`);
    return { experiment: e };
  });
};
