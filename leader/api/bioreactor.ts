/**
 * Bioreactor values (Colony addition): the latest `current_volume_ml` and `alt_media_fraction` that each unit's
 * agent published under `bioreactor/*` (stored by the ingest in `liquid_volumes` and `alt_media_fractions`).
 * `GET /api/experiments/{e}/bioreactor` -> `{unit: {current_volume_ml, alt_media_fraction, timestamp}}`, and the
 * same for one unit under `/api/workers/{u}/experiments/{e}/bioreactor`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { LeaderContext } from '../http/context.js';

type Latest = { current_volume_ml: number | null; alt_media_fraction: number | null; timestamp: string | null };

export const bioreactorRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const read = (e: string, unit: string | null) => {
    const out: Record<string, Latest> = {};
    const get = (u: string) => (out[u] ??= { current_volume_ml: null, alt_media_fraction: null, timestamp: null });
    const q = (table: string, col: string) =>
      ctx.db
        .prepare(
          `SELECT pioreactor_unit, "${col}" AS v, max(timestamp) AS ts FROM ${table} WHERE experiment = ?${unit ? ' AND pioreactor_unit = ?' : ''}
           GROUP BY pioreactor_unit`,
        )
        .all(...(unit ? [e, unit] : [e])) as Array<{ pioreactor_unit: string; v: number; ts: string }>;
    for (const r of q('liquid_volumes', 'liquid_volume')) {
      const l = get(r.pioreactor_unit);
      l.current_volume_ml = r.v;
      l.timestamp = r.ts;
    }
    for (const r of q('alt_media_fractions', 'alt_media_fraction')) {
      const l = get(r.pioreactor_unit);
      l.alt_media_fraction = r.v;
      if (!l.timestamp || r.ts > l.timestamp) l.timestamp = r.ts;
    }
    const sorted: Record<string, Latest> = {};
    for (const k of Object.keys(out).sort()) sorted[k] = out[k];
    return sorted;
  };
  app.get<{ Params: { e: string } }>('/api/experiments/:e/bioreactor', async (req) => read(req.params.e, null));
  app.get<{ Params: { e: string; u: string } }>('/api/workers/:u/experiments/:e/bioreactor', async (req) => read(req.params.e, req.params.u));
};
