/**
 * Job routes (pioreactor-api.md §2.3), under both `/api/units/{u}/...` and `/api/workers/{u}/...`:
 * run (request/reply `jobs.run` to each target agent, in the 202 task pattern), stop one job (`$state/set`
 * `disconnected` over MQTT), stop an experiment's jobs, update settings (`/set` over MQTT), running jobs and
 * settings (fan-out reads). Jobs the leader hosts (`ctx.leaderJobs`, e.g. dosing_automation) go to it instead.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { topics } from '../../shared/topics.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { assignedExperiment } from '../db/assignments.js';
import {
  background,
  BROADCAST,
  experimentParam,
  FANOUT_TIMEOUTS,
  jobParam,
  objectBody,
  settingParam,
  sortedKeys,
  targets,
  UNIVERSAL_EXPERIMENT,
  unitParam,
  workersIn,
} from './core-util.js';

const Scalar = z.union([z.string().max(100_000), z.number(), z.boolean(), z.null()]);

/** ArgsOptionsEnvsConfigOverrides: every field optional, unknown fields ignored, wrong types rejected. */
export const RunBody = z.looseObject({
  options: z.record(z.string().min(1).max(200), Scalar).optional(),
  args: z.array(z.string().max(10_000)).max(100).optional(),
  env: z.record(z.string().min(1).max(200), z.string().max(10_000)).optional(),
  config_overrides: z.array(z.array(z.string().max(10_000)).length(3)).max(100).optional(),
});

export const UpdateBody = z.looseObject({
  settings: z.record(z.string().max(200), z.union([z.string().max(100_000), z.number(), z.null()])),
});

type Params = { u: string; job: string; e: string; s?: string };

/** Time allowed for the leader's MQTT publish to be acknowledged (the reference's 2 s). */
const PUBLISH_ACK_MS = 2000;

async function publishWithin(ctx: LeaderContext, topic: string, payload: string, qos: 0 | 1 | 2): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ctx.mqtt.publishAsync(topic, payload, { qos }),
      new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('MQTT publish was not acknowledged in time')), PUBLISH_ACK_MS))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The active workers a run targets (§2.3), or 404. */
export function runTargets(ctx: LeaderContext, u: string, e: string): string[] {
  const active = workersIn(ctx, e, true);
  const units = u === BROADCAST ? active : active.filter((w) => w === u);
  if (units.length === 0) {
    throw new ApiError(404, e === UNIVERSAL_EXPERIMENT ? `Worker(s) ${u} not found or not active.` : `Worker(s) ${u} not found, not active, or not assigned to experiment ${e}.`);
  }
  return units;
}

/** Normalise an agent's running-job row to Pioreactor's `pio_job_metadata` row. */
function metadataRow(ctx: LeaderContext, unit: string, j: Record<string, unknown>): Record<string, unknown> {
  return {
    job_id: j.job_id ?? null,
    unit: j.unit ?? unit,
    experiment: j.experiment ?? null,
    job_name: j.job_name ?? null,
    job_source: j.job_source ?? null,
    started_at: j.started_at ?? null,
    is_running: 1,
    leader: ctx.unitName,
    pid: j.pid ?? null,
    is_long_running_job: j.job_name === 'monitor' ? 1 : 0,
    ended_at: null,
    ...(j.state !== undefined ? { state: j.state } : {}),
  };
}

export const jobRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const leaderHandles = (job: string) => ctx.leaderJobs?.handles(job) ?? false;
  /** Units a leader-hosted job acts on: `$broadcast` means the experiment's workers. */
  const leaderUnits = (u: string, e: string) => (u === BROADCAST ? workersIn(ctx, e) : [u]);

  for (const prefix of ['/api/units', '/api/workers']) {
    const run = async (req: { params: Params; body: unknown }, reply: { status(n: number): { send(b: unknown): unknown } }) => {
      const u = unitParam(req.params.u);
      const job = jobParam(req.params.job);
      const e = experimentParam(req.params.e);
      const body = RunBody.parse(objectBody(req.body));
      const units = runTargets(ctx, u, e);
      const options = body.options ?? {};
      const ref = ctx.tasks.start(async () => {
        const out: Record<string, unknown> = {};
        await Promise.all(
          units.map(async (unit) => {
            if (leaderHandles(job)) {
              try {
                await ctx.leaderJobs!.run(unit, e, job, options);
                out[unit] = true;
              } catch (err) {
                const msg = `${job} did not start: ${(err as Error).message}`;
                ctx.log.warn({ unit, job, err: (err as Error).message }, 'api: leader-hosted job did not start');
                // The task result is Pioreactor's `{unit: false}`; the reason goes to the unit's log (Logs page, CLI).
                ctx.mqtt.publish(
                  topics.log(unit, e, job, 'error'),
                  JSON.stringify({ message: msg, task: job, source: 'app', level: 'ERROR', timestamp: formatTimestamp(ctx.clock.now()) }),
                  { qos: 1 },
                );
                out[unit] = false;
              }
              return;
            }
            const env: Record<string, string> = { ...(body.env ?? {}), EXPERIMENT: e, HOSTNAME: unit, ACTIVE: '1' };
            const params: Record<string, unknown> = { job, options, env };
            // Jobs that run outside any experiment (monitor) take the agent's default.
            if (e !== UNIVERSAL_EXPERIMENT) params.experiment = e;
            if (env.JOB_SOURCE && /^[A-Za-z0-9_.-]{1,100}$/.test(env.JOB_SOURCE)) params.source = env.JOB_SOURCE;
            const r = await ctx.units.request(unit, 'jobs.run', params, FANOUT_TIMEOUTS.post);
            if (r && !r.ok) ctx.log.warn({ unit, job, code: r.code, err: r.message }, 'api: job did not start');
            out[unit] = r === null ? null : r.ok;
          }),
        );
        const ordered: Record<string, unknown> = {};
        for (const unit of units) ordered[unit] = out[unit];
        return ordered;
      });
      return reply.status(202).send(ref);
    };
    app.post<{ Params: Params }>(`${prefix}/:u/jobs/run/job_name/:job/experiments/:e`, run);
    app.patch<{ Params: Params }>(`${prefix}/:u/jobs/run/job_name/:job/experiments/:e`, run);

    const stopOne = async (req: { params: Params }, reply: { status(n: number): { send(b: unknown): unknown } }) => {
      const u = unitParam(req.params.u);
      const job = jobParam(req.params.job);
      const e = experimentParam(req.params.e);
      if (leaderHandles(job)) {
        await Promise.all(leaderUnits(u, e).map((unit) => ctx.leaderJobs!.stop(unit, e, job).catch(() => false)));
        return reply.status(202).send({ status: 'success' });
      }
      try {
        await publishWithin(ctx, topics.stateSet(u, e, job), 'disconnected', 1);
      } catch {
        background(ctx, targets(ctx, u, 'cluster'), 'jobs.stop', { job });
        throw new ApiError(500, 'Failed to publish to mqtt');
      }
      return reply.status(202).send({ status: 'success' });
    };
    app.post<{ Params: Params }>(`${prefix}/:u/jobs/stop/job_name/:job/experiments/:e`, stopOne);
    app.patch<{ Params: Params }>(`${prefix}/:u/jobs/stop/job_name/:job/experiments/:e`, stopOne);

    const stopExperiment = async (req: { params: Params }, reply: { status(n: number): { send(b: unknown): unknown } }) => {
      const u = unitParam(req.params.u);
      const e = req.params.e;
      const units = targets(ctx, u, 'cluster');
      background(ctx, units, 'jobs.stop', { experiment: e });
      if (ctx.leaderJobs) {
        for (const unit of units) {
          for (const j of ctx.leaderJobs.running(unit)) {
            if (j.experiment === e) void ctx.leaderJobs.stop(unit, e, j.job_name).catch(() => false);
          }
        }
      }
      return reply.status(202).send({ status: 'success' });
    };
    app.post<{ Params: Params }>(`${prefix}/:u/jobs/stop/experiments/:e`, stopExperiment);
    app.patch<{ Params: Params }>(`${prefix}/:u/jobs/stop/experiments/:e`, stopExperiment);

    app.patch<{ Params: Params }>(`${prefix}/:u/jobs/update/job_name/:job/experiments/:e`, async (req, reply) => {
      const u = unitParam(req.params.u);
      const job = jobParam(req.params.job);
      const e = experimentParam(req.params.e);
      const body = UpdateBody.parse(objectBody(req.body));
      for (const s of Object.keys(body.settings)) settingParam(s);
      if (leaderHandles(job)) {
        for (const unit of leaderUnits(u, e)) await ctx.leaderJobs!.update(unit, e, job, body.settings);
        return reply.status(202).send({ status: 'success' });
      }
      for (const [setting, value] of Object.entries(body.settings)) {
        const payload = value === null ? '' : String(value);
        try {
          await publishWithin(ctx, topics.set(u, e, job, setting), payload, 1);
        } catch {
          throw new ApiError(500, 'Failed to publish to mqtt');
        }
      }
      return reply.status(202).send({ status: 'success' });
    });

    app.get<{ Params: Params }>(`${prefix}/:u/jobs/running`, async (req, reply) => {
      const units = targets(ctx, req.params.u, 'cluster');
      const ref = ctx.tasks.start(async () => {
        const res = await ctx.units.fanOut(units, 'jobs.running', {}, FANOUT_TIMEOUTS.get);
        const out: Record<string, unknown> = {};
        for (const unit of units) {
          const list = res[unit];
          const hosted = (ctx.leaderJobs?.running(unit) ?? []).map((j) => metadataRow(ctx, unit, { ...j, job_source: 'leader', unit }));
          if (!Array.isArray(list)) out[unit] = hosted.length ? hosted : null;
          else out[unit] = [...list.map((j) => metadataRow(ctx, unit, (j ?? {}) as Record<string, unknown>)), ...hosted];
        }
        return sortedKeys(out);
      });
      return reply.status(202).send(ref);
    });

    const settings = async (req: { params: Params }, reply: { status(n: number): { send(b: unknown): unknown } }) => {
      const u = unitParam(req.params.u);
      const job = jobParam(req.params.job);
      const e = experimentParam(req.params.e);
      const setting = req.params.s === undefined ? undefined : settingParam(req.params.s);
      let units: string[];
      if (u === BROADCAST) units = workersIn(ctx, e);
      else {
        if (e !== UNIVERSAL_EXPERIMENT && assignedExperiment(ctx.db, u) !== e) throw new ApiError(404, `Worker ${u} is not assigned to experiment ${e}.`);
        units = [u];
      }
      const ref = ctx.tasks.start(async () => {
        if (leaderHandles(job)) {
          const out: Record<string, unknown> = {};
          for (const unit of units) {
            const j = ctx.leaderJobs!.running(unit).find((x) => x.job_name === job && x.experiment === e);
            if (!j) out[unit] = null;
            else if (setting === undefined) out[unit] = { settings: j.settings };
            else out[unit] = setting in j.settings ? { [setting]: j.settings[setting] } : null;
          }
          return sortedKeys(out);
        }
        const params: Record<string, unknown> = { job };
        if (setting !== undefined) params.setting = setting;
        return sortedKeys(await ctx.units.fanOut(units, 'jobs.settings', params, FANOUT_TIMEOUTS.get));
      });
      return reply.status(202).send(ref);
    };
    app.get<{ Params: Params }>(`${prefix}/:u/jobs/settings/job_name/:job/experiments/:e`, settings);
    app.get<{ Params: Params }>(`${prefix}/:u/jobs/settings/job_name/:job/setting/:s/experiments/:e`, settings);
  }
};
