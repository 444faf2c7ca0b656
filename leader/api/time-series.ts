/**
 * Time series for the charts (pioreactor-api.md §2.4 and §3): `{"series": [...], "data": [[{x, y}], ...]}`,
 * windowed by `lookback` (hours) and thinned to about `target_points` per series.
 *
 * Never a scan of a whole table: units are found by a loose index scan, every series is read by index seeks on
 * `(experiment, pioreactor_unit[, channel], timestamp)`, and a long window is answered from the per-minute
 * rollup kept at ingest (`colony_rollup_1m`): each minute contributes its last reading (its real timestamp and
 * value), and minutes are thinned evenly to `target_points`. A window with at most `target_points` rows returns
 * every row, as the reference does. Points come out in time order, series sorted by name.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Statement } from 'better-sqlite3';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import type { Db } from '../db/open.js';

export interface SeriesSpec {
  table: string;
  column: string;
  /** Decimal places of y. */
  dp: number;
  /** Series keyed `unit-channel`. */
  channel: boolean;
  /** The ingest keeps a per-minute rollup for it (dataset = table). */
  rollup: boolean;
}

export const SERIES: Record<string, SeriesSpec> = {
  growth_rates: { table: 'growth_rates', column: 'rate', dp: 5, channel: false, rollup: true },
  od_readings: { table: 'od_readings', column: 'od_reading', dp: 7, channel: true, rollup: true },
  od_readings_filtered: { table: 'od_readings_filtered', column: 'normalized_od_reading', dp: 7, channel: false, rollup: true },
  od_readings_fused: { table: 'od_readings_fused', column: 'od_reading', dp: 7, channel: false, rollup: true },
  raw_od_readings: { table: 'raw_od_readings', column: 'od_reading', dp: 7, channel: true, rollup: false },
  temperature_readings: { table: 'temperature_readings', column: 'temperature_c', dp: 2, channel: false, rollup: true },
};

export interface Point {
  x: string;
  y: number | null;
}
export interface TimeSeriesBody {
  series: string[];
  data: Point[][];
}

/** Above this many points per series, thin by striding through the window instead of per-bucket seeks. */
const SEEK_LIMIT = 5000;

export interface Window {
  cutoff: string;
  target: number;
}

/** `lookback` (hours, default 4) and `target_points` (default 720) from the query; 400 on bad values. */
export function parseWindow(q: Record<string, unknown>, now: number): Window {
  const one = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);
  const lbRaw = one(q.lookback);
  const tpRaw = one(q.target_points);
  const lookback = lbRaw === undefined || lbRaw === '' ? 4 : Number(lbRaw);
  if (typeof lbRaw === 'object' || !Number.isFinite(lookback)) throw new ApiError(400, 'lookback must be a number of hours');
  const target = tpRaw === undefined || tpRaw === '' ? 720 : Number(tpRaw);
  if (typeof tpRaw === 'object' || !Number.isFinite(target) || !Number.isInteger(target)) throw new ApiError(400, 'target_points must be an integer');
  if (target <= 0) throw new ApiError(400, 'target_points must be > 0');
  const cut = Math.min(Math.max(now - lookback * 3_600_000, -62_000_000_000_000), 253_000_000_000_000);
  return { cutoff: formatTimestamp(cut), target: Math.min(target, 10_000_000) };
}

/** Indices of `k` of `n` items, evenly spread, first and last included (all when n <= k). */
export function evenPick(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [n - 1];
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(Math.round((i * (n - 1)) / (k - 1)));
  return out;
}

const roundTo = (dp: number) => {
  const f = 10 ** dp;
  return (y: unknown): number | null => (typeof y === 'number' && Number.isFinite(y) ? Math.round(y * f) / f : typeof y === 'number' ? null : (y as null));
};

/** SQL rendering a REAL as a JSON number rounded to `dp` places (`null` for NULL, NaN or infinities). */
function jsonNum(col: string, dp: number): string {
  return `(CASE WHEN typeof(${col}) IN ('real', 'integer') AND abs(${col}) < 1e300 THEN CAST(round(${col}, ${dp}) AS TEXT) ELSE 'null' END)`;
}

/** Prepared statements for one series table, cached per database. */
class SeriesReader {
  private readonly units: Statement;
  private readonly firstIn: Statement;
  private readonly rows: Statement;
  private readonly lastIn: Statement;
  private readonly seek: Statement;
  private readonly count: Statement;
  private readonly all: Statement;
  private readonly rolls: Statement | null;
  private readonly rollStats: Statement | null;
  private readonly rollJson: Statement | null;
  private readonly headCount: Statement;
  private readonly headJson: Statement;

  constructor(
    db: Db,
    readonly spec: SeriesSpec,
  ) {
    const t = `"${spec.table}"`;
    const c = `"${spec.column}"`;
    const ch = spec.channel ? ' AND channel = @channel' : '';
    const where = `experiment = @experiment AND pioreactor_unit = @unit${ch}`;
    this.units = db.prepare(
      `WITH RECURSIVE u(x) AS (
         SELECT (SELECT pioreactor_unit FROM ${t} WHERE experiment = @experiment ORDER BY pioreactor_unit LIMIT 1)
         UNION ALL
         SELECT (SELECT pioreactor_unit FROM ${t} WHERE experiment = @experiment AND pioreactor_unit > u.x ORDER BY pioreactor_unit LIMIT 1)
         FROM u WHERE u.x IS NOT NULL)
       SELECT x FROM u WHERE x IS NOT NULL`,
    );
    this.firstIn = db.prepare(`SELECT timestamp FROM ${t} WHERE ${where} AND timestamp > @cutoff ORDER BY timestamp LIMIT 1`);
    this.rows = db.prepare(`SELECT timestamp, ${c} FROM ${t} WHERE ${where} AND timestamp > @cutoff ORDER BY timestamp LIMIT @limit`).raw(true);
    this.lastIn = db.prepare(`SELECT timestamp FROM ${t} WHERE ${where} AND timestamp > @cutoff ORDER BY timestamp DESC LIMIT 1`);
    this.seek = db.prepare(`SELECT timestamp, ${c} FROM ${t} WHERE ${where} AND timestamp >= @from ORDER BY timestamp LIMIT 1`).raw(true);
    this.count = db.prepare(`SELECT count(*) AS n FROM ${t} WHERE ${where} AND timestamp > @cutoff`);
    this.all = db.prepare(`SELECT timestamp, ${c} FROM ${t} WHERE ${where} AND timestamp > @cutoff ORDER BY timestamp`).raw(true);
    const rollWhere = `dataset = @dataset AND experiment = @experiment AND pioreactor_unit = @unit AND series = @series AND minute >= @minute AND last_ts > @cutoff`;
    this.rollStats = spec.rollup ? db.prepare(`SELECT count(*) AS minutes, coalesce(sum(n), 0) AS n FROM colony_rollup_1m WHERE ${rollWhere}`) : null;
    // SQLite builds the JSON of the points itself: no per-point JavaScript objects on the hot path. A minute is
    // kept when (rn * k) / n steps up, which keeps k of n minutes, evenly spread, the last one included.
    this.rollJson = spec.rollup
      ? db
          .prepare(
            `SELECT '[' || coalesce(group_concat('{"x":' || json_quote(last_ts) || ',"y":' || ${jsonNum('last', spec.dp)} || '}', ','), '') || ']' AS j FROM (
               SELECT minute, last_ts, last, row_number() OVER (ORDER BY minute) AS rn FROM colony_rollup_1m WHERE ${rollWhere})
             WHERE CAST((rn * @k) / @n AS INTEGER) != CAST(((rn - 1) * @k) / @n AS INTEGER)`,
          )
          .pluck()
      : null;
    this.headCount = db.prepare(`SELECT count(*) FROM (SELECT 1 FROM ${t} WHERE ${where} AND timestamp > @cutoff LIMIT @limit)`).pluck();
    this.headJson = db
      .prepare(
        `SELECT '[' || coalesce(group_concat('{"x":' || json_quote(timestamp) || ',"y":' || ${jsonNum(c, spec.dp)} || '}', ','), '') || ']' FROM (
           SELECT timestamp, ${c} FROM ${t} WHERE ${where} AND timestamp > @cutoff ORDER BY timestamp LIMIT @limit)`,
      )
      .pluck();
    this.rolls = spec.rollup
      ? db
          .prepare(
            `SELECT last_ts, last, n FROM colony_rollup_1m WHERE dataset = @dataset AND experiment = @experiment
             AND pioreactor_unit = @unit AND series = @series AND minute >= @minute ORDER BY minute`,
          )
          .raw(true)
      : null;
  }

  /** Series (unit, channel) with at least one row in the window. */
  seriesOf(experiment: string, unit: string | null, cutoff: string): Array<{ unit: string; channel: number | null }> {
    const units = unit !== null ? [unit] : (this.units.all({ experiment }) as Array<{ x: string }>).map((r) => r.x);
    const out: Array<{ unit: string; channel: number | null }> = [];
    for (const u of units) {
      for (const channel of this.spec.channel ? [1, 2, 3, 4] : [null]) {
        const p: Record<string, unknown> = { experiment, unit: u, cutoff };
        if (channel !== null) p.channel = channel;
        if (this.firstIn.get(p)) out.push({ unit: u, channel });
      }
    }
    return out;
  }

  /** The points of one series as a JSON array text. */
  readJson(experiment: string, unit: string, channel: number | null, w: Window): string {
    const base: Record<string, unknown> = { experiment, unit, cutoff: w.cutoff };
    if (channel !== null) base.channel = channel;
    if (this.rollStats && this.rollJson) {
      const rp = { experiment, unit, cutoff: w.cutoff, dataset: this.spec.table, series: channel === null ? '' : String(channel), minute: Math.floor(Date.parse(w.cutoff) / 60_000) };
      const st = this.rollStats.get(rp) as { minutes: number; n: number };
      if (st.n > w.target && st.minutes > 0) return this.rollJson.get({ ...rp, k: Math.min(w.target, st.minutes), n: st.minutes }) as string;
    }
    const n = this.headCount.get({ ...base, limit: w.target + 1 }) as number;
    if (n <= w.target) return this.headJson.get({ ...base, limit: w.target }) as string;
    return JSON.stringify(this.read(experiment, unit, channel, w));
  }

  read(experiment: string, unit: string, channel: number | null, w: Window): Point[] {
    const round = roundTo(this.spec.dp);
    const base: Record<string, unknown> = { experiment, unit, cutoff: w.cutoff };
    if (channel !== null) base.channel = channel;
    const toPoints = (rows: unknown[][]) => rows.map((r) => ({ x: r[0] as string, y: round(r[1]) }));

    if (this.rolls) {
      const minute = Math.floor(Date.parse(w.cutoff) / 60_000);
      const rows = (this.rolls.all({ ...base, dataset: this.spec.table, series: channel === null ? '' : String(channel), minute }) as unknown[][]).filter((r) => (r[0] as string) > w.cutoff);
      let n = 0;
      for (const r of rows) n += r[2] as number;
      if (n > w.target && rows.length > 0) return evenPick(rows.length, w.target).map((i) => ({ x: rows[i][0] as string, y: round(rows[i][1]) }));
    }
    const head = this.rows.all({ ...base, limit: w.target + 1 }) as unknown[][];
    if (head.length <= w.target) return toPoints(head);
    if (w.target > SEEK_LIMIT) {
      const n = (this.count.get(base) as { n: number }).n;
      const keep = new Set(evenPick(n, w.target));
      const out: Point[] = [];
      let i = 0;
      for (const r of this.all.iterate(base) as IterableIterator<unknown[]>) {
        if (keep.has(i++)) out.push({ x: r[0] as string, y: round(r[1]) });
      }
      return out;
    }
    // One seek per time bucket between the first and last row of the window.
    const first = Date.parse(head[0][0] as string);
    const lastRow = this.lastIn.get(base) as { timestamp: string };
    const last = Date.parse(lastRow.timestamp);
    const out: Point[] = [];
    let prev = '';
    for (let i = 0; i < w.target; i++) {
      const from = formatTimestamp(first + ((last - first) * i) / Math.max(1, w.target - 1));
      const r = this.seek.get({ ...base, from: i === 0 ? (head[0][0] as string) : from }) as unknown[] | undefined;
      if (!r || (r[0] as string) === prev) continue;
      prev = r[0] as string;
      out.push({ x: prev, y: round(r[1]) });
    }
    return out;
  }
}

const readers = new WeakMap<Db, Map<string, SeriesReader>>();
function readerFor(db: Db, spec: SeriesSpec): SeriesReader {
  let m = readers.get(db);
  if (!m) readers.set(db, (m = new Map()));
  const key = `${spec.table}\u0000${spec.column}`;
  let r = m.get(key);
  if (!r) m.set(key, (r = new SeriesReader(db, spec)));
  return r;
}

/** A known series (§2.4), for an experiment and optionally one unit, as the response's JSON text. */
export function readSeriesJson(db: Db, spec: SeriesSpec, experiment: string, unit: string | null, w: Window): string {
  const reader = readerFor(db, spec);
  const list = reader.seriesOf(experiment, unit, w.cutoff).map((s) => ({ ...s, name: s.channel === null ? s.unit : `${s.unit}-${s.channel}` }));
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names: string[] = [];
  const data: string[] = [];
  for (const s of list) {
    const j = reader.readJson(experiment, s.unit, s.channel, w);
    if (j === '[]') continue;
    names.push(s.name);
    data.push(j);
  }
  return `{"series":${JSON.stringify(names)},"data":[${data.join(',')}]}`;
}

/** A known series as an object (tests, the fallback route). */
export function readSeries(db: Db, spec: SeriesSpec, experiment: string, unit: string | null, w: Window): TimeSeriesBody {
  return JSON.parse(readSeriesJson(db, spec, experiment, unit, w)) as TimeSeriesBody;
}

/** The fallback `{data_source}/{column}` route: identifiers stripped to `[A-Za-z0-9_]`, keyed by unit. */
export function readFallback(db: Db, dataSource: string, column: string, experiment: string, unit: string | null, w: Window): string | TimeSeriesBody {
  const table = dataSource.replace(/[^A-Za-z0-9_]/g, '');
  const col = column.replace(/[^A-Za-z0-9_]/g, '');
  if (!table || !col) throw new ApiError(400, 'Invalid data source or column.');
  if (table.toLowerCase().startsWith('sqlite_') || table.toLowerCase().startsWith('colony_')) throw new ApiError(400, `Not a data source: ${table}`);
  const known = SERIES[table];
  if (known && !known.channel && known.column === col) return readSeriesJson(db, known, experiment, unit, w);
  const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>).map((c) => c.name);
  if (cols.length === 0) throw new ApiError(400, `no such table: ${table}`);
  for (const need of ['experiment', 'pioreactor_unit', 'timestamp', col]) if (!cols.includes(need)) throw new ApiError(400, `no such column: ${need}`);
  let stmt: Statement;
  try {
    stmt = db
    .prepare(
      `SELECT pioreactor_unit, timestamp, "${col}" FROM "${table}" WHERE experiment = ? ${unit !== null ? 'AND pioreactor_unit = ?' : ''}
       AND "${col}" IS NOT NULL AND timestamp > ? ORDER BY pioreactor_unit, timestamp`,
    )
    .raw(true);
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  const rows = (unit !== null ? stmt.all(experiment, unit, w.cutoff) : stmt.all(experiment, w.cutoff)) as unknown[][];
  const round = roundTo(7);
  const by = new Map<string, unknown[][]>();
  for (const r of rows) {
    const u = String(r[0]);
    let l = by.get(u);
    if (!l) by.set(u, (l = []));
    l.push(r);
  }
  const body: TimeSeriesBody = { series: [], data: [] };
  for (const u of [...by.keys()].sort()) {
    const l = by.get(u)!;
    body.series.push(u);
    body.data.push(evenPick(l.length, w.target).map((i) => ({ x: String(l[i][1]), y: typeof l[i][2] === 'number' ? round(l[i][2]) : (l[i][2] as number | null) })));
  }
  return body;
}

function send(reply: FastifyReply, body: TimeSeriesBody | string) {
  reply.header('Cache-Control', 'public, max-age=5');
  if (typeof body === 'string') reply.type('application/json; charset=utf-8');
  return reply.send(body);
}

export const timeSeriesRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  type P = { e: string; u?: string; ds?: string; col?: string };
  for (const [name, spec] of Object.entries(SERIES)) {
    app.get<{ Params: P }>(`/api/experiments/:e/time_series/${name}`, async (req, reply) =>
      send(reply, readSeriesJson(ctx.db, spec, req.params.e, null, parseWindow(req.query as Record<string, unknown>, ctx.clock.now()))),
    );
    app.get<{ Params: P }>(`/api/workers/:u/experiments/:e/time_series/${name}`, async (req, reply) =>
      send(reply, readSeriesJson(ctx.db, spec, req.params.e, req.params.u!, parseWindow(req.query as Record<string, unknown>, ctx.clock.now()))),
    );
  }
  app.get<{ Params: P }>('/api/experiments/:e/time_series/:ds/:col', async (req, reply) =>
    send(reply, readFallback(ctx.db, req.params.ds!, req.params.col!, req.params.e, null, parseWindow(req.query as Record<string, unknown>, ctx.clock.now()))),
  );
  app.get<{ Params: P }>('/api/workers/:u/experiments/:e/time_series/:ds/:col', async (req, reply) =>
    send(reply, readFallback(ctx.db, req.params.ds!, req.params.col!, req.params.e, req.params.u!, parseWindow(req.query as Record<string, unknown>, ctx.clock.now()))),
  );
};
