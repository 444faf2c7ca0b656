/** `/api/units` and unit capabilities (pioreactor-api.md §2.2): the cluster list and a fan-out read. */
import type { FastifyPluginAsync } from 'fastify';
import type { LeaderContext } from '../http/context.js';
import { clusterList, FANOUT_TIMEOUTS, sortedKeys, targets } from './core-util.js';

export const unitRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get('/api/units', async () => {
    const seen = new Set<string>();
    const out: Array<{ pioreactor_unit: string }> = [];
    for (const u of [ctx.unitName, ...clusterList(ctx).sort()]) {
      if (seen.has(u)) continue;
      seen.add(u);
      out.push({ pioreactor_unit: u });
    }
    return out;
  });

  for (const prefix of ['/api/units', '/api/workers']) {
    app.get<{ Params: { u: string } }>(`${prefix}/:u/capabilities`, async (req, reply) => {
      const units = targets(ctx, req.params.u, 'cluster');
      const ref = ctx.tasks.start(async () => sortedKeys(await ctx.units.fanOut(units, 'capabilities', {}, FANOUT_TIMEOUTS.capabilities)));
      return reply.status(202).send(ref);
    });
  }
};
