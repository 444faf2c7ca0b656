/**
 * `GET /api/experiments/{e}/media_rates` (pioreactor-api.md §2.1): per unit, mL/h of media and alt media added
 * over the last 3 hours (sum of `volume_change_ml` / 3), plus `all`, the sum over units (always present).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { LeaderContext } from '../http/context.js';
import { formatTimestamp } from '../../shared/timestamps.js';

export const mediaRateRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { e: string } }>('/api/experiments/:e/media_rates', async (req, reply) => {
    reply.header('Cache-Control', 'public, max-age=5');
    const since = formatTimestamp(ctx.clock.now() - 3 * 3_600_000);
    const rows = ctx.db
      .prepare(
        `SELECT pioreactor_unit,
           sum(CASE WHEN event = 'add_alt_media' THEN volume_change_ml ELSE 0 END) / 3.0 AS altMediaRate,
           sum(CASE WHEN event = 'add_media' THEN volume_change_ml ELSE 0 END) / 3.0 AS mediaRate
         FROM dosing_events WHERE experiment = ? AND timestamp >= ? AND event IN ('add_media', 'add_alt_media')
         GROUP BY pioreactor_unit ORDER BY pioreactor_unit`,
      )
      .all(req.params.e, since) as Array<{ pioreactor_unit: string; altMediaRate: number; mediaRate: number }>;
    const out: Record<string, { altMediaRate: number; mediaRate: number }> = {};
    const all = { altMediaRate: 0, mediaRate: 0 };
    for (const r of rows) {
      out[r.pioreactor_unit] = { altMediaRate: r.altMediaRate, mediaRate: r.mediaRate };
      all.altMediaRate += r.altMediaRate;
      all.mediaRate += r.mediaRate;
    }
    out.all = all;
    return out;
  });
};
