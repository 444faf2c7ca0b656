/**
 * Running experiment profiles (pioreactor-api.md §2.7): the UI starts one on the leader's own unit API,
 * `PATCH /unit_api/jobs/run/job_name/experiment_profile` with `{"args":["execute","<path>","<experiment>"]}`, and
 * stops it with `PATCH /unit_api/jobs/stop {"job_id"}`; `…/experiment_profiles/running` lists them. Colony also
 * offers `POST /api/experiments/{e}/experiment_profiles/run {"filename"}` and
 * `POST /api/experiment_profiles/running/{job_id}/stop` for scripts. The runner is the automations service's.
 */
import type { FastifyPluginAsync } from 'fastify';
import { basename } from 'node:path';
import { z } from 'zod';
import { profileRunner } from '../automations/services.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';

const RunBody = z.looseObject({ args: z.array(z.string()).min(2), options: z.record(z.string(), z.unknown()).optional() });
const StopBody = z.looseObject({ job_id: z.union([z.string(), z.number()]).optional(), job_name: z.string().optional() });

export const profileRunRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const runner = () => {
    const r = profileRunner(ctx);
    if (!r) throw new ApiError(503, 'The experiment profile runner is not running on this leader.');
    return r;
  };
  const start = (file: string, experiment: string) => {
    // Only a file name inside the leader's experiment_profiles folder: a path from the request never leaves it.
    const name = basename(file);
    if (!/^[\w.-]+\.ya?ml$/.test(name)) throw new ApiError(400, `Not a profile file name: ${JSON.stringify(file)}`);
    try {
      return runner().run(name, experiment);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(400, (e as Error).message);
    }
  };

  app.patch('/unit_api/jobs/run/job_name/experiment_profile', async (req, reply) => {
    const body = RunBody.parse(req.body ?? {});
    const [verb, file, experiment] = body.args;
    if (verb !== 'execute' || !file || !experiment) throw new ApiError(400, 'args must be ["execute", "<profile path>", "<experiment>"]');
    if (body.options && 'dry-run' in body.options) {
      runner().load(basename(file));
      return reply.status(200).send({ status: 'success', dry_run: true });
    }
    const run = start(file, experiment);
    return reply.status(202).send({ unit: ctx.unitName, job_id: run.job_id, status: 'started', result_url_path: null });
  });

  app.post<{ Params: { e: string } }>('/api/experiments/:e/experiment_profiles/run', async (req, reply) => {
    const body = z.looseObject({ filename: z.string().min(1) }).parse(req.body ?? {});
    return reply.status(201).send(start(body.filename, req.params.e));
  });

  app.patch('/unit_api/jobs/stop', async (req) => {
    const body = StopBody.parse(req.body ?? {});
    if (body.job_id === undefined) throw new ApiError(400, 'job_id is required to stop an experiment profile on the leader');
    if (!runner().stop(String(body.job_id))) throw new ApiError(404, `No running job ${body.job_id}`);
    return { status: 'success' };
  });

  app.post<{ Params: { id: string } }>('/api/experiment_profiles/running/:id/stop', async (req) => {
    if (!runner().stop(req.params.id)) throw new ApiError(404, `No running profile ${req.params.id}`);
    return { status: 'success' };
  });
};

/** `GET /api/experiments/{e}/experiment_profiles/running` in the reference's shape, from the runner. */
export function runningProfiles(ctx: LeaderContext, experiment: string): Array<Record<string, unknown>> {
  const r = profileRunner(ctx);
  if (!r) return [];
  return r
    .running()
    .filter((x) => x.experiment === experiment)
    .map((x) => ({ job_name: 'experiment_profile', experiment: x.experiment, job_id: x.job_id, settings: { experiment_profile_name: x.experiment_profile_name, file: x.file, started_at: x.started_at, state: x.state } }));
}
