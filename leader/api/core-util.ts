/**
 * Helpers shared by the core `/api` modules: path parameters checked at the edge, the unit lists that
 * `$broadcast` expands to (pioreactor-api.md §1.4), fan-out timeouts, and log lines the API writes.
 */
import { z } from 'zod';
import { isUnitName } from '../../shared/ids.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { BROADCAST, UNIVERSAL_EXPERIMENT } from '../../shared/topics.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';

export { BROADCAST, UNIVERSAL_EXPERIMENT };

/**
 * Per-unit timeouts of fan-out requests (ms), after the reference's collect timeouts (§1.3: GET 5 s,
 * capabilities 15 s, POST/PATCH/DELETE 30 s). Tests shorten them.
 */
export const FANOUT_TIMEOUTS = { get: 5000, capabilities: 15_000, post: 30_000 };

const JOB = /^[a-z][a-z0-9_]{0,99}$/;
const SETTING = /^\$?[A-Za-z0-9_]{1,100}$/;
// eslint-disable-next-line no-control-regex -- control characters are what we refuse
const EXPERIMENT_SEGMENT = /^[^/#+\u0000-\u001f]{1,200}$/;

/** A unit name from a path: a hostname, or `$broadcast` when `broadcast` is allowed; else 400. */
export function unitParam(u: string, broadcast = true): string {
  if (broadcast && u === BROADCAST) return u;
  if (!isUnitName(u)) throw new ApiError(400, `Invalid unit name: ${JSON.stringify(u)}`);
  return u;
}

/** A job name from a path (a topic segment): lower-case letters, digits and `_`; else 400. */
export function jobParam(j: string): string {
  if (!JOB.test(j)) throw new ApiError(400, `Invalid job name: ${JSON.stringify(j)}`);
  return j;
}

/** A setting name (a topic segment, `$state` allowed); else 400. */
export function settingParam(s: string): string {
  if (!SETTING.test(s)) throw new ApiError(400, `Invalid setting name: ${JSON.stringify(s)}`);
  return s;
}

/** An experiment name used in an MQTT topic: no `/ # +` or control characters; else 400. */
export function experimentParam(e: string): string {
  if (!EXPERIMENT_SEGMENT.test(e)) throw new ApiError(400, `Invalid experiment name: ${JSON.stringify(e)}`);
  return e;
}

/** Every row of `workers` (inactive included), newest first (§1.4). */
export function workerList(ctx: LeaderContext): string[] {
  return (ctx.db.prepare('SELECT pioreactor_unit FROM workers ORDER BY added_at DESC, pioreactor_unit').all() as Array<{ pioreactor_unit: string }>).map((r) => r.pioreactor_unit);
}

/** The cluster: the leader plus every worker (§1.4). */
export function clusterList(ctx: LeaderContext): string[] {
  const w = workerList(ctx);
  return w.includes(ctx.unitName) ? w : [ctx.unitName, ...w];
}

/** Workers assigned to an experiment (`$experiment`: every worker). */
export function workersIn(ctx: LeaderContext, experiment: string, activeOnly = false): string[] {
  const active = activeOnly ? ' AND w.is_active = 1' : '';
  if (experiment === UNIVERSAL_EXPERIMENT) {
    return (ctx.db.prepare(`SELECT w.pioreactor_unit FROM workers w WHERE 1=1${active} ORDER BY w.added_at DESC, w.pioreactor_unit`).all() as Array<{ pioreactor_unit: string }>).map((r) => r.pioreactor_unit);
  }
  return (
    ctx.db
      .prepare(
        `SELECT a.pioreactor_unit FROM experiment_worker_assignments a JOIN workers w ON w.pioreactor_unit = a.pioreactor_unit
         WHERE a.experiment = ?${active} ORDER BY w.added_at DESC, a.pioreactor_unit`,
      )
      .all(experiment) as Array<{ pioreactor_unit: string }>
  ).map((r) => r.pioreactor_unit);
}

/** `$broadcast` -> the scope's list; a unit name -> `[unit]`. */
export function targets(ctx: LeaderContext, u: string, scope: 'workers' | 'cluster'): string[] {
  unitParam(u);
  if (u !== BROADCAST) return [u];
  return scope === 'workers' ? workerList(ctx) : clusterList(ctx);
}

/** `{unit: value}` with keys sorted (Pioreactor's multicast GET sorts them). */
export function sortedKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

/** A JSON object body (`{}` when absent); 400 for anything else. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** Parse a body with a zod schema (a ZodError becomes 400 through the app's error handler). */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  return schema.parse(objectBody(body));
}

/** The latest experiment's name, or null. */
export function latestExperiment(ctx: LeaderContext): string | null {
  const r = ctx.db.prepare('SELECT experiment FROM experiments ORDER BY rowid DESC LIMIT 1').get() as { experiment: string } | undefined;
  return r?.experiment ?? null;
}

/** A log line written by the API itself (Pioreactor logs these through MQTT; we store them directly). */
export function apiLog(ctx: LeaderContext, experiment: string, message: string, task: string, level = 'INFO', unit = ctx.unitName): void {
  try {
    ctx.db
      .prepare('INSERT INTO logs (experiment, pioreactor_unit, timestamp, message, source, level, task) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(experiment, unit, formatTimestamp(ctx.clock.now()), message, 'app', level, task);
  } catch (e) {
    ctx.log.warn({ err: (e as Error).message }, 'api: could not store a log line');
  }
  ctx.log.info({ experiment, task }, message);
}

/** Tables that carry an `experiment` column (for deleting an experiment; foreign keys are off). */
export function tablesWithExperiment(ctx: LeaderContext): string[] {
  const tables = ctx.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>;
  return tables
    .map((t) => t.name)
    .filter((name) => (ctx.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>).some((c) => c.name === 'experiment'));
}

/** A fire-and-forget request to units (the reference answers before the workers do). */
export function background(ctx: LeaderContext, units: string[], method: string, params: Record<string, unknown>, timeoutMs = FANOUT_TIMEOUTS.post): void {
  if (units.length === 0) return;
  void ctx.units.fanOut(units, method, params, timeoutMs).catch((e: unknown) => ctx.log.warn({ err: (e as Error).message, method }, 'api: background request failed'));
}
