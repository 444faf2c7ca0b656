/**
 * Log routes (pioreactor-api.md §2.5, §1.5): pages of 100 rows newest first (`skip` = offset), the `min_level`
 * filter, "recent" (at most 50, since max(now - 24 h, experiment created_at)), and posting a manual log line
 * (published over MQTT; the leader's ingest stores it).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics } from '../../shared/topics.js';
import { BROADCAST, experimentParam, objectBody, UNIVERSAL_EXPERIMENT, unitParam, workersIn } from './core-util.js';

export const PAGE = 100;
export const RECENT = 50;

const LEVELS: Record<string, string[]> = {
  DEBUG: ['ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'],
  INFO: ['ERROR', 'WARNING', 'NOTICE', 'INFO'],
  NOTICE: ['ERROR', 'WARNING', 'NOTICE'],
  WARNING: ['ERROR', 'WARNING'],
  ERROR: ['ERROR'],
};

/** The levels `min_level` admits: case-insensitive, unknown means INFO. CRITICAL always passes (above ERROR). */
export function levelsFor(minLevel: unknown): string[] {
  const v = typeof minLevel === 'string' ? minLevel.toUpperCase() : 'INFO';
  return [...(LEVELS[v] ?? LEVELS.INFO), 'CRITICAL'];
}

function skipOf(q: Record<string, unknown>): number {
  const raw = Array.isArray(q.skip) ? q.skip[q.skip.length - 1] : q.skip;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1e12) throw new ApiError(400, 'skip must be a non-negative integer');
  return n;
}

function minLevelOf(q: Record<string, unknown>): unknown {
  return Array.isArray(q.min_level) ? q.min_level[q.min_level.length - 1] : q.min_level;
}

const COLS = 'l.timestamp, l.level, l.pioreactor_unit, l.message, l.task, l.experiment';

const PostLog = z.looseObject({
  message: z.string().max(100_000),
  level: z.string().regex(/^[A-Za-z]{1,20}$/, 'a level name such as INFO'),
  source: z.string().max(200),
  timestamp: z.string().max(100),
  task: z.string().max(200).nullable(),
  source_: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . -').optional(),
});

export const logRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const { db } = ctx;
  type Q = Record<string, unknown>;
  const lv = (q: Q) => levelsFor(minLevelOf(q));
  const inList = (n: number) => Array(n).fill('?').join(',');

  const page = (where: string, args: unknown[], q: Q) => {
    const levels = lv(q);
    return db
      .prepare(`SELECT ${COLS} FROM logs l WHERE ${where} AND l.level IN (${inList(levels.length)}) ORDER BY l.timestamp DESC LIMIT ${PAGE} OFFSET ?`)
      .all(...args, ...levels, skipOf(q));
  };

  /** Start of the "recent" window: max(now - 24 h, the experiment's created_at). */
  const recentSince = (e: string) => {
    const dayAgo = formatTimestamp(ctx.clock.now() - 24 * 3_600_000);
    const r = db.prepare('SELECT created_at FROM experiments WHERE experiment = ?').get(e) as { created_at: string } | undefined;
    return r && r.created_at > dayAgo ? r.created_at : dayAgo;
  };

  app.get<{ Querystring: Q }>('/api/logs', async (req) => page('1 = 1', [], req.query));

  app.get<{ Params: { e: string }; Querystring: Q }>('/api/experiments/:e/logs', async (req) => page('l.experiment = ?', [req.params.e], req.query));

  app.get<{ Params: { e: string }; Querystring: Q }>('/api/experiments/:e/recent_logs', async (req) => {
    const levels = lv(req.query);
    return db
      .prepare(`SELECT ${COLS} FROM logs l WHERE l.experiment IN (?, ?) AND l.timestamp >= ? AND l.level IN (${inList(levels.length)}) ORDER BY l.timestamp DESC LIMIT ${RECENT}`)
      .all(req.params.e, UNIVERSAL_EXPERIMENT, recentSince(req.params.e), ...levels);
  });

  app.get<{ Params: { u: string }; Querystring: Q }>('/api/units/:u/logs', async (req) => page('l.pioreactor_unit IN (?, ?)', [req.params.u, BROADCAST], req.query));

  app.get<{ Params: { u: string }; Querystring: Q }>('/api/units/:u/system_logs', async (req) =>
    page('l.experiment = ? AND l.pioreactor_unit IN (?, ?)', [UNIVERSAL_EXPERIMENT, req.params.u, BROADCAST], req.query),
  );

  app.get<{ Params: { u: string; e: string }; Querystring: Q }>('/api/workers/:u/experiments/:e/logs', async (req) =>
    // Inside one of u's assignment windows (assigned_at <= ts <= unassigned_at + 5 s, or still open). EXISTS, not
    // a join, so overlapping windows do not duplicate rows (the reference's join can).
    page(
      `l.experiment = ? AND l.pioreactor_unit IN (?, ?) AND EXISTS (SELECT 1 FROM experiment_worker_assignments_history h
         WHERE h.pioreactor_unit = ? AND h.assigned_at <= l.timestamp
           AND (h.unassigned_at IS NULL OR l.timestamp <= strftime('%Y-%m-%dT%H:%M:%fZ', h.unassigned_at, '+5 seconds')))`,
      [req.params.e, req.params.u, BROADCAST, req.params.u],
      req.query,
    ),
  );

  app.get<{ Params: { u: string; e: string }; Querystring: Q }>('/api/workers/:u/experiments/:e/recent_logs', async (req) => {
    const levels = lv(req.query);
    return db
      .prepare(
        `SELECT ${COLS} FROM logs l WHERE l.experiment IN (?, ?) AND l.pioreactor_unit IN (?, ?) AND l.timestamp >= ?
         AND l.level IN (${inList(levels.length)}) ORDER BY l.timestamp DESC LIMIT ${RECENT}`,
      )
      .all(req.params.e, UNIVERSAL_EXPERIMENT, req.params.u, BROADCAST, recentSince(req.params.e), ...levels);
  });

  for (const prefix of ['/api/workers', '/api/units']) {
    app.post<{ Params: { u: string; e: string } }>(`${prefix}/:u/experiments/:e/logs`, async (req, reply) => {
      const u = unitParam(req.params.u);
      const e = experimentParam(req.params.e);
      const body = PostLog.parse(objectBody(req.body));
      const units = u === BROADCAST ? workersIn(ctx, e) : [u];
      const payload = JSON.stringify({ message: body.message.trim(), task: body.task, source: body.source, level: body.level.toUpperCase(), timestamp: body.timestamp });
      for (const unit of units) ctx.mqtt.publish(topics.log(unit, e, body.source_ ?? 'ui', body.level.toLowerCase()), payload, { qos: 0 });
      return reply.status(202).send({ status: 'success' });
    });
  }
};
