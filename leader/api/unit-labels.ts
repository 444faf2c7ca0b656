/** `/api/experiments/{e}/unit_labels` (pioreactor-api.md §2.1): display labels of units within an experiment. */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { latestExperiment, objectBody, unitParam } from './core-util.js';

const LabelBody = z.looseObject({ unit: z.string().max(200), label: z.string().max(1000) });

export const unitLabelRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const { db } = ctx;
  /** `current` means the latest experiment. */
  const resolve = (e: string) => (e === 'current' ? (latestExperiment(ctx) ?? e) : e);

  app.get<{ Params: { e: string } }>('/api/experiments/:e/unit_labels', async (req, reply) => {
    reply.header('Cache-Control', 'public, max-age=10');
    const rows = db.prepare('SELECT pioreactor_unit, label FROM pioreactor_unit_labels WHERE experiment = ? ORDER BY pioreactor_unit').all(resolve(req.params.e)) as Array<{ pioreactor_unit: string; label: string }>;
    const out: Record<string, string> = {};
    for (const r of rows) out[r.pioreactor_unit] = r.label;
    return out;
  });

  const upsert = async (req: { params: { e: string }; body: unknown }, reply: { status(n: number): { send(b: unknown): unknown } }) => {
    const e = resolve(req.params.e);
    const body = LabelBody.parse(objectBody(req.body));
    unitParam(body.unit, false);
    try {
      if (body.label === '') db.prepare('DELETE FROM pioreactor_unit_labels WHERE experiment = ? AND pioreactor_unit = ?').run(e, body.unit);
      else {
        db.prepare(
          `INSERT INTO pioreactor_unit_labels (experiment, pioreactor_unit, label, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (pioreactor_unit, experiment) DO UPDATE SET label = excluded.label, created_at = excluded.created_at`,
        ).run(e, body.unit, body.label, formatTimestamp(ctx.clock.now()));
      }
    } catch (err) {
      throw new ApiError(400, (err as Error).message);
    }
    return reply.status(201).send({ status: 'success' });
  };
  app.put<{ Params: { e: string } }>('/api/experiments/:e/unit_labels', upsert);
  app.patch<{ Params: { e: string } }>('/api/experiments/:e/unit_labels', upsert);
};
