/**
 * Versions and system routes (pioreactor-api.md §2.10). Fan-out routes answer with the 202 task pattern,
 * result `{unit: value | null}` (null = the unit did not answer). Reboot and shutdown go to each unit's
 * agent (`system.reboot` / `system.shutdown`); a unit that refuses (the sim backend does) answers
 * `{"error": "<reason>"}`, and the leader refuses for itself (it is a service; restart it with systemd).
 * Routes that would update software or replace a unit's data directory from the browser are refused (403)
 * with the way to do it instead.
 */
import type { FastifyPluginAsync } from 'fastify';
import { formatTimestamp } from '../../shared/timestamps.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { sortedKeys, targets } from './admin-util.js';

export const systemRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  /** Per unit: the leader answers `leader()`, agents answer `method`, mapped by `map`. */
  const fan = (u: string, method: string, leader: () => unknown, map: (r: { ok: true; result: unknown } | { ok: false; code: string; message: string }) => unknown, timeoutMs = 5000) => {
    const units = targets(ctx, u, 'cluster');
    return ctx.tasks.start(async () => {
      const out: Record<string, unknown> = {};
      await Promise.all(
        units.map(async (unit) => {
          if (unit === ctx.unitName) return void (out[unit] = leader());
          const r = await ctx.units.request(unit, method, {}, timeoutMs);
          out[unit] = r === null ? null : map(r);
        }),
      );
      return sortedKeys(out);
    });
  };
  const okOnly = (pick: (v: unknown) => unknown) => (r: { ok: true; result: unknown } | { ok: false; code: string; message: string }) => (r.ok ? pick(r.result) : null);

  app.get<{ Params: { u: string } }>('/api/units/:u/versions/app', async (req, reply) =>
    reply.status(202).send(
      fan(req.params.u, 'versions', () => ({ version: ctx.version }), okOnly((v) => ({ version: (v as { app?: unknown } | null)?.app ?? null }))),
    ),
  );

  app.get<{ Params: { u: string } }>('/api/units/:u/system/utc_clock', async (req, reply) =>
    reply
      .status(202)
      .send(fan(req.params.u, 'clock', () => ({ status: 'success', clock_time: formatTimestamp(ctx.clock.now()) }), okOnly((v) => v))),
  );

  for (const what of ['reboot', 'shutdown'] as const) {
    app.post<{ Params: { u: string } }>(`/api/units/:u/system/${what}`, async (req, reply) => {
      const ref = fan(
        req.params.u,
        `system.${what}`,
        () => ({ error: `The leader does not ${what} itself from the API: use systemctl ${what} on its host.` }),
        (r) => (r.ok ? true : { error: r.message }),
        10_000,
      );
      ctx.log.notice({ unit: req.params.u, what }, 'power action requested');
      return reply.status(202).send(ref);
    });
  }

  app.get('/api/local_access_point', async (_req, reply) => reply.header('Cache-Control', 'public, max-age=10000').send({ active: false }));

  const refuse = (message: string) => async () => {
    throw new ApiError(403, message, message, 'Use the command line on the leader for this action.');
  };
  app.post('/api/system/utc_clock', refuse('Colony units keep time with NTP (chrony/systemd-timesyncd); the clock is not set from the API.'));
  app.post('/api/system/update_next_version', refuse('Colony is updated with its install script (npm), not from the API.'));
  app.post('/api/system/update_from_archive', refuse('Colony is updated with its install script (npm), not from the API.'));
  app.post('/api/system/upload', refuse('Uploads from the browser are disabled.'));
  app.get<{ Params: { u: string } }>('/api/units/:u/zipped_dot_pioreactor', refuse('Back up a unit with "colony backup" on its host.'));
  app.post<{ Params: { u: string } }>('/api/units/:u/import_zipped_dot_pioreactor', refuse('Restore a unit with "colony restore" on its host.'));
};
