/**
 * A leader context for `/api` tests, built from real parts: SQLite (openDatabase on a temp file), an aedes
 * broker with an MQTT client, a TaskStore and a UnitRequestClient. Seeded with the reference's test fixture
 * (pioreactor-api.md §8): exp0..exp3, workers unit1..unit4 (unit4 inactive), assignments, labels, logs,
 * od_readings and growth_rates for unit1/unit2 in exp1, and dosing events.
 */
import type { FastifyInstance } from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { FANOUT_TIMEOUTS } from '../../leader/api/core-util.js';
import { buildApp } from '../../leader/http/app.js';
import type { LeaderContext } from '../../leader/http/context.js';
import { openDatabase, type Db } from '../../leader/db/open.js';
import { TaskStore } from '../../leader/tasks.js';
import { UnitRequestClient } from '../../leader/units/request-client.js';
import { RealClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

/** The `/api` error schema (pioreactor-api.md §1.2). */
export const ErrorSchema = z.strictObject({
  error: z.string().min(1),
  error_info: z.looseObject({ remediation: z.string(), cause: z.string(), status: z.number().int() }),
});

export interface Harness {
  ctx: LeaderContext;
  app: FastifyInstance;
  db: Db;
  broker: TestBroker;
  url: string;
  /** Time the seed was written (ms): readings sit in the hour before it. */
  seededAt: number;
  close(): Promise<void>;
}

export function seed(db: Db, now: number): void {
  const ts = (msAgo: number) => formatTimestamp(now - msAgo);
  const H = 3_600_000;
  db.transaction(() => {
    const exp = db.prepare('INSERT INTO experiments (experiment, created_at, description) VALUES (?, ?, ?)');
    exp.run('exp0', ts(96 * H), 'zero');
    exp.run('exp1', ts(48 * H), 'first');
    exp.run('exp2', ts(24 * H), 'second');
    exp.run('exp3', ts(2 * H), 'third');
    db.prepare("INSERT INTO experiment_tags (experiment, tag, created_at) VALUES ('exp1', 'media_used:LB broth', ?), ('exp1', 'organism_used:E. coli', ?)").run(ts(48 * H), ts(48 * H));
    const w = db.prepare('INSERT INTO workers (pioreactor_unit, added_at, model_name, model_version, is_active) VALUES (?, ?, ?, ?, ?)');
    w.run('unit1', ts(100 * H), 'pioreactor_20ml', '1.1', 1);
    w.run('unit2', ts(99 * H), 'pioreactor_20ml', '1.1', 1);
    w.run('unit3', ts(98 * H), 'pioreactor_40ml', '1.0', 1);
    w.run('unit4', ts(97 * H), 'pioreactor_40ml', '1.0', 0);
    const a = db.prepare('INSERT INTO experiment_worker_assignments (pioreactor_unit, experiment, assigned_at) VALUES (?, ?, ?)');
    a.run('unit1', 'exp1', ts(47 * H));
    a.run('unit2', 'exp1', ts(47 * H));
    a.run('unit3', 'exp2', ts(23 * H));
    a.run('unit4', 'exp3', ts(1 * H));
    const l = db.prepare('INSERT INTO pioreactor_unit_labels (experiment, pioreactor_unit, label, created_at) VALUES (?, ?, ?, ?)');
    for (const [i, u, e] of [[1, 'unit1', 'exp1'], [2, 'unit2', 'exp1'], [3, 'unit3', 'exp2'], [4, 'unit4', 'exp3']] as const) l.run(e, u, `Reactor ${i}`, ts(H));
    const log = db.prepare('INSERT INTO logs (experiment, pioreactor_unit, timestamp, message, source, level, task) VALUES (?, ?, ?, ?, ?, ?, ?)');
    log.run('exp1', 'unit1', ts(30 * 60_000), 'Started mixing', 'app', 'INFO', 'stirring');
    log.run('exp1', 'unit2', ts(20 * 60_000), 'Debug detail', 'app', 'DEBUG', 'od_reading');
    log.run('$experiment', 'unit1', ts(10 * 60_000), 'System hello', 'app', 'NOTICE', 'monitor');
    for (let i = 0; i < 250; i++) log.run('exp2', 'unit3', ts(H - i * 1000), `line ${i}`, 'app', i % 2 ? 'INFO' : 'WARNING', 'bulk');
    const od = db.prepare('INSERT INTO od_readings (experiment, pioreactor_unit, timestamp, od_reading, angle, channel) VALUES (?, ?, ?, ?, 90, ?)');
    const gr = db.prepare('INSERT INTO growth_rates (experiment, pioreactor_unit, timestamp, rate) VALUES (?, ?, ?, ?)');
    const tr = db.prepare('INSERT INTO temperature_readings (experiment, pioreactor_unit, timestamp, temperature_c) VALUES (?, ?, ?, ?)');
    for (let i = 0; i < 120; i++) {
      for (const u of ['unit1', 'unit2']) {
        od.run('exp1', u, ts((120 - i) * 30_000), 0.01 + i * 0.001, 2);
        gr.run('exp1', u, ts((120 - i) * 30_000), 0.1 + i * 1e-4);
        tr.run('exp1', u, ts((120 - i) * 30_000), 30 + (i % 7) * 0.1234);
      }
    }
    const d = db.prepare("INSERT INTO dosing_events (experiment, pioreactor_unit, timestamp, event, volume_change_ml, source_of_event) VALUES ('exp1', ?, ?, ?, ?, 'test')");
    d.run('unit1', ts(H), 'add_media', 1.5);
    d.run('unit1', ts(H), 'add_alt_media', 0.6);
    d.run('unit2', ts(2 * H), 'add_media', 3);
    d.run('unit2', ts(5 * H), 'add_media', 99); // outside the 3 h window
    db.prepare("INSERT INTO experiment_profile_runs (started_at, experiment_profile_name, experiment) VALUES (?, 'demo', 'exp1')").run(ts(H));
  })();
}

/** Fan-out timeouts short enough for absent agents (restored by close()). */
export function shortTimeouts(ms = 300): () => void {
  const saved = { ...FANOUT_TIMEOUTS };
  FANOUT_TIMEOUTS.get = ms;
  FANOUT_TIMEOUTS.post = ms;
  FANOUT_TIMEOUTS.capabilities = ms;
  return () => Object.assign(FANOUT_TIMEOUTS, saved);
}

export async function makeHarness(opts: { seed?: boolean } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'colony-api-'));
  const db = openDatabase(join(dir, 'colony.sqlite'));
  const broker = await startAedes();
  const client: MqttClient = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `api-test-${process.pid}-${Date.now()}` });
  const clock = new RealClock();
  const units = new UnitRequestClient(client, clock);
  // No agent answers in these tests: every fan-out would wait its full timeout for nothing.
  units.timeoutCapMs = 300;
  await units.start();
  const restore = shortTimeouts();
  const ctx: LeaderContext = {
    unitName: 'leader',
    version: '0.0.0-test',
    startedAt: clock.now(),
    db,
    mqtt: client,
    broker: { url: broker.url, wsUrl: null, kind: 'embedded', connectedClients: () => null, close: async () => {} },
    ingest: null,
    tasks: new TaskStore('leader'),
    units,
    leaderJobs: null,
    clock,
    log: silentLogger(),
    config: loadConfig({}),
    dataDir: dir,
  };
  const seededAt = clock.now();
  if (opts.seed !== false) seed(db, seededAt);
  const app = await buildApp(ctx);
  return {
    ctx,
    app,
    db,
    broker,
    url: broker.url,
    seededAt,
    close: async () => {
      restore();
      await app.close();
      units.stop();
      await client.endAsync(true);
      await broker.stop();
      db.close();
    },
  };
}

/** Send a request through inject; JSON bodies are serialised, strings are sent raw. */
export async function send(app: FastifyInstance, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return app.inject({
    method: method as 'GET',
    url,
    payload,
    headers: payload !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
  });
}

/** Poll a 202 task until it completes (200) or fails (500). */
export async function pollTask(app: FastifyInstance, ref: { result_url_path: string }, timeoutMs = 20_000): Promise<{ status: number; body: Record<string, unknown> }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await app.inject({ method: 'GET', url: ref.result_url_path });
    if (r.statusCode !== 202) return { status: r.statusCode, body: r.json() };
    if (Date.now() > end) throw new Error(`task ${ref.result_url_path} still pending after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
