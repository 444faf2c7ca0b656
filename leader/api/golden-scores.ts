/**
 * Running golden-batch scores of an experiment's units (leader/batches/live-scores.ts):
 *
 *   GET    /api/experiments/:experiment/golden_profile      the chosen profile (404 when none)
 *   PUT    /api/experiments/:experiment/golden_profile      {profile: id | profile document}
 *   DELETE /api/experiments/:experiment/golden_profile      stop scoring (204)
 *   GET    /api/experiments/:experiment/scores              each unit's latest score and its history
 *   POST   /api/experiments/:experiment/scores              score every run now, answer the new scores
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { chooseProfile, chosenProfile, clearProfile, liveScores } from '../batches/live-scores.js';
import { AnalyticsService, type GoldenProfileDoc } from '../batches/service.js';
import { call, ProfileDoc } from './analytics.js';

const Params = z.object({ experiment: z.string().min(1).max(500) });
const Choose = z.strictObject({ profile: z.union([z.string().min(1).max(200), ProfileDoc]) });

export const goldenScoreRoutes =
  (ctx: LeaderContext): FastifyPluginAsync =>
  async (app) => {
    const svc = new AnalyticsService(ctx.db, () => ctx.clock.now());
    const exp = (params: unknown) => Params.parse(params).experiment;

    app.get('/api/experiments/:experiment/golden_profile', async (req) => {
      const e = exp(req.params);
      const c = chosenProfile(ctx.db, e);
      if (!c) throw new ApiError(404, `no golden profile is chosen for ${JSON.stringify(e)}`);
      return c;
    });
    app.put('/api/experiments/:experiment/golden_profile', async (req) => {
      const e = exp(req.params);
      const b = Choose.parse(req.body);
      const chosen = call(() => chooseProfile(svc, e, b.profile as string | GoldenProfileDoc, ctx.clock.now()));
      ctx.log.info({ experiment: e, profile_id: chosen.profile_id }, `golden profile ${chosen.profile_name ?? chosen.profile_id} chosen for ${e}`);
      return chosen;
    });
    app.delete('/api/experiments/:experiment/golden_profile', async (req, reply) => {
      const e = exp(req.params);
      if (!clearProfile(ctx.db, e)) throw new ApiError(404, `no golden profile is chosen for ${JSON.stringify(e)}`);
      return reply.code(204).send();
    });
    app.get('/api/experiments/:experiment/scores', async (req) => liveScores(ctx.db, exp(req.params)));
    app.post('/api/experiments/:experiment/scores', async (req) => {
      const e = exp(req.params);
      if (!chosenProfile(ctx.db, e)) throw new ApiError(409, `choose a golden profile for ${JSON.stringify(e)} first`);
      if (!ctx.liveScores) throw new ApiError(503, 'live scoring is not running on this leader');
      return ctx.liveScores.scoreNow(e);
    });
  };
