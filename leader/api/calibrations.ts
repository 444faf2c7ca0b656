/**
 * Calibrations and estimators (pioreactor-api.md §2.9): every route fans out to the target workers over
 * MQTT request/reply (docs/protocol.md §3, `calibrations.*` / `estimators.*`) and answers with the 202 task
 * pattern; the task's result is `{unit: value | null}`, null for a unit that is silent or answers an error.
 * `$broadcast` means every worker. Calibration sessions are synchronous proxies (a unit's error -> 502).
 */
import type { FastifyPluginAsync } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { UnitRequestError } from '../units/request-client.js';
import { BROADCAST, isSafeFileName, objectBody, sortedKeys, targets, unitParam } from './admin-util.js';

type Family = 'calibrations' | 'estimators';
const GET_MS = 5000;
const WRITE_MS = 15000;

function nameParam(v: string, what: string): string {
  if (!isSafeFileName(v) || v.length > 128) throw new ApiError(400, `Invalid ${what}: ${JSON.stringify(v)}`);
  return v;
}

/** Add `pioreactor_unit` (and `device`) to each calibration object, as the reference does. */
function tagObjects(unit: string, value: unknown, device?: string): unknown {
  const tag = (o: unknown, dev?: string) =>
    o && typeof o === 'object' && !Array.isArray(o) ? { ...(o as Record<string, unknown>), pioreactor_unit: unit, ...(dev && !('device' in (o as object)) ? { device: dev } : {}) } : o;
  if (value === null || value === undefined) return value ?? null;
  if (Array.isArray(value)) return value.map((o) => tag(o, device));
  if (typeof value === 'object' && device === undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = Array.isArray(v) ? v.map((o) => tag(o, k)) : tag(v, k);
    return out;
  }
  return tag(value, device);
}

export const calibrationRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  /** 202 + a task fanning `method` out to the workers named by `u`. */
  const fan = (u: string, method: string, params: Record<string, unknown>, timeoutMs: number, post?: (unit: string, v: unknown) => unknown) => {
    const units = targets(ctx, u, 'workers');
    return ctx.tasks.start(async () => {
      const r = await ctx.units.fanOut(units, method, params, timeoutMs);
      if (post) for (const k of Object.keys(r)) r[k] = r[k] === null ? null : post(k, r[k]);
      return sortedKeys(r);
    });
  };

  for (const fam of ['calibrations', 'estimators'] as Family[]) {
    const one = fam.slice(0, -1);
    const activeRoute = fam === 'calibrations' ? 'active_calibrations' : 'active_estimators';

    app.get<{ Params: { u: string } }>(`/api/workers/:u/${fam}`, async (req, reply) =>
      reply.status(202).send(fan(req.params.u, `${fam}.list`, {}, GET_MS, (unit, v) => tagObjects(unit, v))),
    );
    app.get<{ Params: { u: string; device: string } }>(`/api/workers/:u/${fam}/:device`, async (req, reply) => {
      const device = nameParam(req.params.device, 'device');
      return reply.status(202).send(fan(req.params.u, `${fam}.list`, { device }, GET_MS, (unit, v) => tagObjects(unit, v, device)));
    });
    app.get<{ Params: { u: string; device: string; name: string } }>(`/api/workers/:u/${fam}/:device/:name`, async (req, reply) => {
      const device = nameParam(req.params.device, 'device');
      const name = nameParam(req.params.name, `${one} name`);
      return reply.status(202).send(fan(req.params.u, `${fam}.get`, { device, name }, GET_MS, (unit, v) => tagObjects(unit, v, device)));
    });
    app.delete<{ Params: { u: string; device: string; name: string } }>(`/api/workers/:u/${fam}/:device/:name`, async (req, reply) => {
      const device = nameParam(req.params.device, 'device');
      const name = nameParam(req.params.name, `${one} name`);
      return reply.status(202).send(fan(req.params.u, `${fam}.delete`, { device, name }, WRITE_MS));
    });
    app.get<{ Params: { u: string } }>(`/api/workers/:u/${activeRoute}`, async (req, reply) => {
      const units = targets(ctx, req.params.u, 'workers');
      const ref = ctx.tasks.start(async () => {
        const out: Record<string, unknown> = {};
        await Promise.all(
          units.map(async (unit) => {
            const r = await ctx.units.request(unit, `${fam}.active`, {}, GET_MS);
            if (!r || !r.ok || !r.result || typeof r.result !== 'object') return void (out[unit] = null);
            const active: Record<string, unknown> = {};
            for (const [device, name] of Object.entries(r.result as Record<string, unknown>)) {
              if (typeof name !== 'string') continue;
              const g = await ctx.units.request(unit, `${fam}.get`, { device, name }, GET_MS);
              active[device] = g && g.ok ? tagObjects(unit, { ...(g.result as object), is_active: true }, device) : { [`${one}_name`]: name, is_active: true, pioreactor_unit: unit, device };
            }
            out[unit] = active;
          }),
        );
        return sortedKeys(out);
      });
      return reply.status(202).send(ref);
    });
    app.patch<{ Params: { u: string; device: string; name: string } }>(`/api/workers/:u/${activeRoute}/:device/:name`, async (req, reply) => {
      const device = nameParam(req.params.device, 'device');
      const name = nameParam(req.params.name, `${one} name`);
      return reply.status(202).send(fan(req.params.u, `${fam}.set_active`, { device, name }, WRITE_MS));
    });
    app.delete<{ Params: { u: string; device: string } }>(`/api/workers/:u/${activeRoute}/:device`, async (req, reply) => {
      const device = nameParam(req.params.device, 'device');
      return reply.status(202).send(fan(req.params.u, `${fam}.clear_active`, { device }, WRITE_MS));
    });
  }

  app.post<{ Params: { u: string; device: string } }>('/api/workers/:u/calibrations/:device', async (req, reply) => {
    const device = nameParam(req.params.device, 'device');
    unitParam(req.params.u);
    const b = objectBody(req.body);
    if (typeof b.calibration_data !== 'string' || b.calibration_data.trim() === '') throw new ApiError(400, 'YAML data is missing.');
    if (b.set_as_active !== undefined && typeof b.set_as_active !== 'boolean') throw new ApiError(400, 'Invalid set_as_active value.');
    let data: unknown;
    try {
      data = parseYaml(b.calibration_data);
    } catch (e) {
      throw new ApiError(400, `YAML data is not correct, or required calibration struct missing: ${(e as Error).message.split('\n')[0]}`);
    }
    const shape = z.looseObject({ calibration_name: z.string().min(1).max(128), calibration_type: z.string().optional() }).safeParse(data);
    if (!shape.success || !isSafeFileName(shape.data.calibration_name)) {
      throw new ApiError(400, 'YAML data is not correct, or required calibration struct missing: calibration_name (a plain name) is required.');
    }
    return reply.status(202).send(fan(req.params.u, 'calibrations.create', { device, body: data, set_active: b.set_as_active ?? false }, WRITE_MS));
  });

  app.get<{ Params: { u: string } }>('/api/workers/:u/calibration_protocols', async (req, reply) => {
    // Agents do not offer guided protocols yet: every reachable unit lists none.
    return reply.status(202).send(fan(req.params.u, 'versions', {}, GET_MS, () => []));
  });

  // Guided calibration sessions: a synchronous proxy to one unit; any unit error is a 502.
  const session = async (u: string, method: string, params: Record<string, unknown>, timeoutMs: number) => {
    unitParam(u);
    if (u === BROADCAST) throw new ApiError(400, 'Calibration sessions need one unit, not $broadcast.');
    try {
      return await ctx.units.call(u, method, params, timeoutMs);
    } catch (e) {
      if (e instanceof UnitRequestError) throw new ApiError(502, `Calibration session failed on ${u}: ${e.message}`);
      throw e;
    }
  };
  app.post<{ Params: { u: string } }>('/api/workers/:u/calibrations/sessions', async (req, reply) => {
    const b = objectBody(req.body);
    if (typeof b.protocol_name !== 'string' || typeof b.target_device !== 'string') throw new ApiError(400, 'protocol_name and target_device are required.');
    return reply.status(201).send(await session(req.params.u, 'calibrations.sessions.start', b, WRITE_MS));
  });
  app.get<{ Params: { u: string; id: string } }>('/api/workers/:u/calibrations/sessions/:id', async (req) =>
    session(req.params.u, 'calibrations.sessions.get', { session_id: nameParam(req.params.id, 'session id') }, GET_MS),
  );
  app.post<{ Params: { u: string; id: string } }>('/api/workers/:u/calibrations/sessions/:id/inputs', async (req) => {
    const b = objectBody(req.body);
    if (!b.inputs || typeof b.inputs !== 'object' || Array.isArray(b.inputs)) throw new ApiError(400, 'inputs must be an object.');
    return session(req.params.u, 'calibrations.sessions.inputs', { session_id: nameParam(req.params.id, 'session id'), inputs: b.inputs }, 300_000);
  });
  app.post<{ Params: { u: string; id: string } }>('/api/workers/:u/calibrations/sessions/:id/abort', async (req) =>
    session(req.params.u, 'calibrations.sessions.abort', { session_id: nameParam(req.params.id, 'session id') }, WRITE_MS),
  );
};
