/** `/api/workers...`: the inventory, assignments, activity and models of workers (pioreactor-api.md §2.2). */
import type { FastifyPluginAsync } from 'fastify';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { assignedExperiment, publishAssignment, upsertWorker } from '../db/assignments.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics, UNIVERSAL_EXPERIMENT } from '../../shared/topics.js';
import { apiLog, background, FANOUT_TIMEOUTS, unitParam, workerList } from './core-util.js';
import { findModel } from './models.js';

const WORKER_COLS = 'pioreactor_unit, added_at, is_active, model_name, model_version';

export const workerRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const { db } = ctx;
  const getWorker = (u: string) => db.prepare(`SELECT ${WORKER_COLS} FROM workers WHERE pioreactor_unit = ?`).get(u) as { pioreactor_unit: string; is_active: number; model_name: string | null; model_version: string | null } | undefined;

  app.get('/api/workers', async () => db.prepare(`SELECT ${WORKER_COLS} FROM workers ORDER BY pioreactor_unit`).all());

  app.put('/api/workers', async (req, reply) => {
    const body = z
      .looseObject({ pioreactor_unit: z.string().max(200).nullish(), model_name: z.string().max(200).nullish(), model_version: z.string().max(50).nullish() })
      .parse(req.body ?? {});
    if (!body.pioreactor_unit) throw new ApiError(400, 'Missing unit name');
    unitParam(body.pioreactor_unit, false);
    upsertWorker(db, body.pioreactor_unit, ctx.clock.now(), { name: body.model_name ?? undefined, version: body.model_version ?? undefined });
    apiLog(ctx, UNIVERSAL_EXPERIMENT, `Added ${body.pioreactor_unit} to inventory.`, 'inventory');
    return reply.status(201).send({ status: 'success' });
  });

  app.get('/api/workers/assignments', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=2');
    return db
      .prepare(
        `SELECT w.pioreactor_unit, a.experiment, w.is_active FROM workers w
         LEFT JOIN experiment_worker_assignments a ON a.pioreactor_unit = w.pioreactor_unit ORDER BY w.pioreactor_unit`,
      )
      .all();
  });

  app.delete('/api/workers/assignments', async (_req, reply) => {
    const rows = db.prepare('SELECT pioreactor_unit FROM experiment_worker_assignments').all() as Array<{ pioreactor_unit: string }>;
    db.prepare('DELETE FROM experiment_worker_assignments').run();
    const at = formatTimestamp(ctx.clock.now());
    for (const r of rows) await publishAssignment(ctx.mqtt, r.pioreactor_unit, null, null, at);
    const units = workerList(ctx);
    return reply.status(202).send(ctx.tasks.start(() => ctx.units.fanOut(units, 'jobs.stop_all', {}, FANOUT_TIMEOUTS.post)));
  });

  app.get('/api/workers/discover', async () => []);

  app.post('/api/workers/setup', async (req) => {
    const body = z.looseObject({ name: z.string().max(200), version: z.string().max(50).nullish(), model: z.string().max(200).nullish() }).parse(req.body ?? {});
    unitParam(body.name, false);
    upsertWorker(db, body.name, ctx.clock.now(), { name: body.model ?? undefined, version: body.version ?? undefined });
    apiLog(ctx, UNIVERSAL_EXPERIMENT, `Added ${body.name} to inventory.`, 'inventory');
    return { msg: `Worker ${body.name} added successfully.` };
  });

  app.get<{ Params: { u: string } }>('/api/workers/:u', async (req) => {
    const r = getWorker(req.params.u);
    if (!r) throw new ApiError(404, 'Worker not found');
    return r;
  });

  app.delete<{ Params: { u: string } }>('/api/workers/:u', async (req, reply) => {
    const u = req.params.u;
    if (!getWorker(u)) throw new ApiError(404, 'Worker not found');
    const assigned = assignedExperiment(db, u);
    db.transaction(() => {
      db.prepare('DELETE FROM experiment_worker_assignments WHERE pioreactor_unit = ?').run(u);
      db.prepare('DELETE FROM workers WHERE pioreactor_unit = ?').run(u);
      if (u !== ctx.unitName) db.prepare('DELETE FROM config_files_histories WHERE filename = ?').run(`config_${u}.ini`);
    })();
    if (assigned) await publishAssignment(ctx.mqtt, u, null, null, formatTimestamp(ctx.clock.now()));
    background(ctx, [u], 'jobs.stop_all', {});
    if (u !== ctx.unitName && /^[A-Za-z0-9_-]+$/.test(u)) {
      const f = join(ctx.dataDir, `config_${u}.ini`);
      try {
        if (existsSync(f)) unlinkSync(f);
      } catch (e) {
        ctx.log.warn({ err: (e as Error).message }, 'api: could not remove a unit config file');
      }
    }
    apiLog(ctx, UNIVERSAL_EXPERIMENT, `Removed ${u} from inventory.`, 'inventory');
    return reply.status(202).send({ status: 'success' });
  });

  app.get<{ Params: { u: string } }>('/api/workers/:u/experiment', async (req, reply) => {
    const w = getWorker(req.params.u);
    if (!w) throw new ApiError(404, 'Worker not found');
    const e = assignedExperiment(db, req.params.u);
    if (!e) throw new ApiError(404, `Worker ${req.params.u} is not assigned to any experiment.`);
    reply.header('Cache-Control', 'public, max-age=2');
    return { pioreactor_unit: w.pioreactor_unit, is_active: w.is_active, experiment: e, model_name: w.model_name, model_version: w.model_version };
  });

  app.put<{ Params: { u: string } }>('/api/workers/:u/is_active', async (req) => {
    const body = z.looseObject({ is_active: z.unknown() }).parse(req.body ?? {});
    const v = body.is_active;
    if (v !== 0 && v !== 1 && v !== true && v !== false) throw new ApiError(400, 'is_active must be 0 or 1');
    const active = v === 1 || v === true ? 1 : 0;
    const r = db.prepare('UPDATE workers SET is_active = ? WHERE pioreactor_unit = ?').run(active, req.params.u);
    if (r.changes === 0) throw new ApiError(404, 'Worker not found');
    if (!active) background(ctx, [req.params.u], 'jobs.stop_all', {});
    apiLog(ctx, UNIVERSAL_EXPERIMENT, `Set ${req.params.u} to ${active ? 'active' : 'inactive'}.`, 'inventory');
    return { status: 'success' };
  });

  app.put<{ Params: { u: string } }>('/api/workers/:u/model', async (req) => {
    const body = z.looseObject({ model_name: z.string().max(200).nullish(), model_version: z.string().max(50).nullish() }).parse(req.body ?? {});
    if (!body.model_name || !body.model_version) throw new ApiError(400, 'Missing model_name or model_version');
    if (!findModel(body.model_name, body.model_version)) throw new ApiError(400, `Not a registered model: ${body.model_name} ${body.model_version}`);
    const r = db.prepare('UPDATE workers SET model_name = ?, model_version = ? WHERE pioreactor_unit = ?').run(body.model_name, body.model_version, req.params.u);
    if (r.changes === 0) throw new ApiError(404, 'Worker not found');
    return { status: 'success' };
  });

  app.get<{ Params: { u: string } }>('/api/workers/:u/model', async (req) => {
    const w = getWorker(req.params.u);
    if (!w) throw new ApiError(404, 'Worker not found');
    const m = w.model_name && w.model_version ? findModel(w.model_name, w.model_version) : null;
    return { ...(m ?? {}), pioreactor_unit: w.pioreactor_unit, model_name: w.model_name, model_version: w.model_version };
  });

  app.post<{ Params: { u: string } }>('/api/workers/:u/blink', async (req, reply) => {
    const u = unitParam(req.params.u);
    ctx.mqtt.publish(`${topics.setting(u, UNIVERSAL_EXPERIMENT, 'monitor', 'flicker_led_response_okay')}`, '1', { qos: 0 });
    return reply.status(202).send({ status: 'success' });
  });
};
