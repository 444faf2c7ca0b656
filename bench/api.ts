/**
 * `npm run bench -- api [units] [hours] [requests]`: p95 latency of
 * `GET /api/experiments/{e}/time_series/od_readings` over 64 units x 24 h at 0.2 Hz (1.1 M rows), the budget of
 * ARCHITECTURE.md §7 (p95 < 100 ms). Rows go into `od_readings` and the per-minute rollup with the ingest
 * writer's SQL (the rollup upsert per minute); requests go through the real fastify app with inject()
 * (routing, handler, JSON serialisation). Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { parseWindow, readSeriesJson, SERIES, timeSeriesRoutes } from '../leader/api/time-series.js';
import { buildApp } from '../leader/http/app.js';
import type { LeaderContext } from '../leader/http/context.js';
import { openDatabase } from '../leader/db/open.js';
import { TaskStore } from '../leader/tasks.js';
import type { UnitRequestClient } from '../leader/units/request-client.js';
import { RealClock } from '../shared/clock.js';
import { loadConfig } from '../shared/config/index.js';
import { silentLogger } from '../shared/logger.js';
import { formatTimestamp } from '../shared/timestamps.js';

/** The ingest writer's rollup upsert (leader/ingest/writer.ts). */
const ROLLUP_SQL = `INSERT INTO colony_rollup_1m (dataset, experiment, pioreactor_unit, series, minute, n, sum, min, max, last, last_ts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (dataset, experiment, pioreactor_unit, series, minute) DO UPDATE SET
    n = n + excluded.n, sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max),
    last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
    last_ts = max(last_ts, excluded.last_ts)`;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function run(argv: string[]): Promise<void> {
  const units = Number(argv[0] ?? 64);
  const hours = Number(argv[1] ?? 24);
  const requests = Number(argv[2] ?? 60);
  const periodMs = 5000; // 0.2 Hz
  const dir = mkdtempSync(join(tmpdir(), 'colony-bench-api-'));
  const db = openDatabase(join(dir, 'colony.sqlite'));
  const clock = new RealClock();
  const now = clock.now();
  const start = now - hours * 3_600_000;
  const exp = 'bench';
  db.prepare('INSERT INTO experiments (experiment, created_at, description) VALUES (?, ?, ?)').run(exp, formatTimestamp(start - 60_000), '');

  const t0 = performance.now();
  const ins = db.prepare('INSERT INTO od_readings (experiment, pioreactor_unit, timestamp, od_reading, angle, channel) VALUES (?, ?, ?, ?, 90, 2)');
  const roll = db.prepare(ROLLUP_SQL);
  let rows = 0;
  for (let u = 0; u < units; u++) {
    const unit = `unit${String(u + 1).padStart(2, '0')}`;
    db.transaction(() => {
      let minute = -1;
      let agg = { n: 0, sum: 0, min: Infinity, max: -Infinity, last: 0, lastTs: '' };
      const flush = () => {
        if (agg.n) roll.run('od_readings', exp, unit, '2', minute, agg.n, agg.sum, agg.min, agg.max, agg.last, agg.lastTs);
      };
      for (let t = start + (u * 37) % periodMs; t < now; t += periodMs) {
        const ts = formatTimestamp(t);
        const od = 0.05 * Math.exp(((t - start) / 3_600_000) * 0.1) + 0.001 * Math.sin(t / 1e5 + u);
        ins.run(exp, unit, ts, od);
        rows++;
        const m = Math.floor(t / 60_000);
        if (m !== minute) {
          flush();
          minute = m;
          agg = { n: 0, sum: 0, min: Infinity, max: -Infinity, last: 0, lastTs: '' };
        }
        agg.n++;
        agg.sum += od;
        agg.min = Math.min(agg.min, od);
        agg.max = Math.max(agg.max, od);
        agg.last = od;
        agg.lastTs = ts;
      }
      flush();
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  console.log(`inserted ${rows} od_readings rows (${units} units x ${hours} h at 0.2 Hz) + rollup in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const ctx = {
    unitName: 'leader',
    version: 'bench',
    startedAt: now,
    db,
    mqtt: {} as MqttClient,
    broker: { url: '', wsUrl: null, kind: 'embedded', connectedClients: () => null, close: async () => {} },
    ingest: null,
    tasks: new TaskStore('leader'),
    units: {} as UnitRequestClient,
    leaderJobs: null,
    clock,
    log: silentLogger(),
    config: loadConfig({}),
    dataDir: dir,
  } satisfies LeaderContext;
  const app = await buildApp(ctx, [timeSeriesRoutes]);

  const cases = [
    { name: 'UI chart (target_points=1400, lookback=100000)', url: `/api/experiments/${exp}/time_series/od_readings?target_points=1400&lookback=100000` },
    { name: 'last 24 h, default target_points=720', url: `/api/experiments/${exp}/time_series/od_readings?lookback=24` },
    { name: 'last 1 h (raw index seeks), target_points=1400', url: `/api/experiments/${exp}/time_series/od_readings?lookback=1&target_points=1400` },
    { name: 'one unit, UI chart', url: `/api/workers/unit01/experiments/${exp}/time_series/od_readings?target_points=1400&lookback=100000` },
  ];
  for (const c of cases) {
    const times: number[] = [];
    let bytes = 0;
    let points = 0;
    for (let i = 0; i < requests + 3; i++) {
      const t = performance.now();
      const r = await app.inject({ method: 'GET', url: c.url });
      const dt = performance.now() - t;
      if (r.statusCode !== 200) throw new Error(`${c.url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      if (i >= 3) times.push(dt); // 3 warm-up requests
      bytes = r.body.length;
      points = (r.json() as { data: unknown[][] }).data.reduce((s, d) => s + d.length, 0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${c.name}: p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms ` +
        `(${requests} requests, ${points} points, ${(bytes / 1e6).toFixed(2)} MB)`,
    );
  }
  // The handler's own work (SQL and JSON text), without fastify and inject.
  const direct: number[] = [];
  for (let i = 0; i < requests + 3; i++) {
    const t = performance.now();
    readSeriesJson(db, SERIES.od_readings, exp, null, parseWindow({ target_points: '1400', lookback: '100000' }, clock.now()));
    if (i >= 3) direct.push(performance.now() - t);
  }
  direct.sort((a, b) => a - b);
  console.log(`handler only (readSeriesJson, UI chart): p50 ${pct(direct, 50).toFixed(1)} ms, p95 ${pct(direct, 95).toFixed(1)} ms`);
  console.log('budget (ARCHITECTURE.md §7): p95 < 100 ms for the od_readings route at this size');
  await app.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
