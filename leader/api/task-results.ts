/** `GET /unit_api/task_results/{id}`: the 202 task pattern's result route (pioreactor-api.md §1.3). */
import type { FastifyPluginAsync } from 'fastify';
import type { LeaderContext } from '../http/context.js';

export const taskResultRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>('/unit_api/task_results/:id', async (req, reply) => {
    const id = req.params.id;
    const base = { task_id: id, result_url_path: `/unit_api/task_results/${id}` };
    const state = ctx.tasks.take(id);
    if (!state || state.status === 'pending') return reply.status(202).send({ ...base, status: 'pending or not present' });
    if (state.status === 'complete') return reply.status(200).send({ ...base, status: 'complete', result: state.result });
    return reply.status(500).send({
      ...base,
      status: 'failed',
      error: state.error,
      error_info: { remediation: 'Check logs and retry.', cause: 'The task failed with an exception.', status: 500 },
    });
  });
};
