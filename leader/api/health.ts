/** `GET /api/health`: is the leader serving, and are its broker, ingest and database alive. */
import type { FastifyPluginAsync } from 'fastify';
import type { LeaderContext } from '../http/context.js';

export const healthRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get('/api/health', async () => {
    const dbOk = (ctx.db.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
    return {
      status: dbOk && ctx.mqtt.connected ? 'ok' : 'degraded',
      unit: ctx.unitName,
      version: ctx.version,
      uptime_seconds: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
      database: dbOk ? 'ok' : 'error',
      broker: { kind: ctx.broker.kind, url: ctx.broker.url, connected: ctx.mqtt.connected, clients: ctx.broker.connectedClients() },
      ingest: ctx.ingest ? { ...ctx.ingest.stats, ...ctx.ingest.writer.stats, queued: ctx.ingest.writer.queuedCount } : null,
    };
  });
};
