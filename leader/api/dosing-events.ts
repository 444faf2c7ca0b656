/**
 * `GET /api/experiments/{e}/dosing_events?lookback=H&limit=N` (Colony; the dashboard's dosing markers): the
 * experiment's dosing events of the last H hours (default 24), newest last, at most N (default 2000, max 10000;
 * when more happened, the newest N). Each: `{pioreactor_unit, timestamp, event, volume_change_ml,
 * source_of_event}`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { formatTimestamp } from '../../shared/timestamps.js';

const Query = z.object({
  lookback: z.coerce.number().positive().max(1_000_000).default(24),
  limit: z.coerce.number().int().positive().max(10_000).default(2000),
});

export const dosingEventRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { e: string } }>('/api/experiments/:e/dosing_events', async (req, reply) => {
    const q = Query.parse(req.query);
    reply.header('Cache-Control', 'public, max-age=5');
    const since = formatTimestamp(Math.max(0, ctx.clock.now() - q.lookback * 3_600_000));
    const rows = ctx.db
      .prepare(
        `SELECT pioreactor_unit, timestamp, event, volume_change_ml, source_of_event FROM dosing_events
         WHERE experiment = ? AND timestamp >= ? ORDER BY timestamp DESC LIMIT ?`,
      )
      .all(req.params.e, since, q.limit);
    return rows.reverse();
  });
};
