/**
 * The HTTP app factory: fastify with the `/api` error schema, and one plugin per resource module.
 * Tests drive it with `app.inject()`; the daemon calls `listen`.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { ZodError } from 'zod';
import { formatZodError } from '../../shared/payloads.js';
import type { LeaderContext } from './context.js';
import { ApiError, errorBody } from './errors.js';
import { healthRoutes } from '../api/health.js';
import { taskResultRoutes } from '../api/task-results.js';
import { CORE_RESOURCES } from '../api/group-core.js';
import { ADMIN_RESOURCES } from '../api/group-admin.js';
import { installHttpAuth } from '../auth/http-auth.js';

export type ResourcePlugin = (ctx: LeaderContext) => FastifyPluginAsync;

/** Resource modules, in registration order (each group file lists its own). */
export const RESOURCES: ResourcePlugin[] = [healthRoutes, taskResultRoutes, ...CORE_RESOURCES, ...ADMIN_RESOURCES];

export async function buildApp(ctx: LeaderContext, resources: ResourcePlugin[] = RESOURCES): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 8 * 1024 * 1024,
    // The router's own errors (a path parameter over its length limit, a bad URL) get the error schema too.
    frameworkErrors: (err, _req, reply) => {
      const status = typeof (err as { statusCode?: number }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 400;
      void (reply as unknown as { code(n: number): { send(b: unknown): void } }).code(status).send(errorBody(status, err.message || 'Bad request.'));
    },
  });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(errorBody(err.status, err.message, err.cause_, err.remediation));
    if (err instanceof ZodError) return reply.status(400).send(errorBody(400, formatZodError(err)));
    const e = err as { statusCode?: number; message?: string };
    const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
    if (status >= 500) ctx.log.error({ err: e.message }, 'http: unhandled error');
    return reply.status(status).send(errorBody(status, status >= 500 ? 'Internal server error.' : (e.message ?? 'Request failed.')));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send(errorBody(404, `The requested URL ${req.url} was not found on the server.`)),
  );
  installHttpAuth(app, ctx);
  for (const r of resources) await app.register(r(ctx));
  return app;
}
