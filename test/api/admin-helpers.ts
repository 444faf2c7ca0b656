/**
 * Scaffolding for the admin `/api` tests: a leader context on a temp data dir and a file database, with a
 * fake request/reply client standing in for the agents (no broker needed), and the app built through
 * buildApp (so the HTTP auth hook is installed as in the daemon).
 */
import type { FastifyInstance } from 'fastify';
import type { MqttClient } from 'mqtt';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../shared/clock.js';
import { validateConfigText } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { ADMIN_RESOURCES } from '../../leader/api/group-admin.js';
import { taskResultRoutes } from '../../leader/api/task-results.js';
import type { Broker } from '../../leader/broker/broker.js';
import { openDatabase, type Db } from '../../leader/db/open.js';
import { buildApp } from '../../leader/http/app.js';
import type { LeaderContext } from '../../leader/http/context.js';
import { TaskStore } from '../../leader/tasks.js';
import { UnitRequestError, type UnitReply, type UnitRequestClient } from '../../leader/units/request-client.js';

/** What a fake unit does with a method: a result, `{error: [code, message]}`, or 'silent' (no reply). */
export type FakeAnswer = unknown;
export type FakeUnit = (method: string, params: Record<string, unknown>) => FakeAnswer;
export const SILENT = Symbol('silent');
export const fail = (code: string, message: string) => ({ __error: [code, message] as const });

export interface FakeUnits {
  client: UnitRequestClient;
  calls: Array<{ unit: string; method: string; params: Record<string, unknown> }>;
}

export function fakeUnits(units: Record<string, FakeUnit>): FakeUnits {
  const calls: FakeUnits['calls'] = [];
  const request = async (unit: string, method: string, params: Record<string, unknown> = {}): Promise<UnitReply | null> => {
    calls.push({ unit, method, params });
    const u = units[unit];
    if (!u) return null;
    const r = u(method, params);
    if (r === SILENT) return null;
    if (r && typeof r === 'object' && '__error' in r) {
      const [code, message] = (r as { __error: [string, string] }).__error;
      return { ok: false, code, message };
    }
    return { ok: true, result: r ?? null };
  };
  const client = {
    request,
    async call(unit: string, method: string, params: Record<string, unknown> = {}) {
      const r = await request(unit, method, params);
      if (!r) throw new UnitRequestError(unit, 'timeout', `no reply to ${method}`);
      if (!r.ok) throw new UnitRequestError(unit, r.code, r.message);
      return r.result;
    },
    async fanOut(list: string[], method: string, params: Record<string, unknown> = {}) {
      const out: Record<string, unknown> = {};
      for (const u of list) {
        const r = await request(u, method, params);
        out[u] = r && r.ok ? r.result : null;
      }
      return out;
    },
    async start() {},
    stop() {},
  };
  return { client: client as unknown as UnitRequestClient, calls };
}

export interface AdminHarness {
  app: FastifyInstance;
  ctx: LeaderContext;
  db: Db;
  dataDir: string;
  units: FakeUnits;
  close(): Promise<void>;
}

export const LEADER_INI = `[cluster.topology]
leader_hostname=leader
leader_address=leader.local

[mqtt]
username=leader
password=leader-secret-1
browser_username=browser
browser_password=browser-secret-1
broker_port=1883
`;

export async function adminHarness(opts: { configText?: string; units?: Record<string, FakeUnit>; workers?: string[] } = {}): Promise<AdminHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'colony-admin-'));
  const text = opts.configText ?? LEADER_INI;
  mkdirSync(join(dataDir, 'config'), { recursive: true });
  writeFileSync(join(dataDir, 'config', 'config.ini'), text);
  const config = validateConfigText(text, 'config.ini');
  const db = openDatabase(join(dataDir, 'leader.sqlite'));
  for (const w of opts.workers ?? ['unit1', 'unit2']) {
    db.prepare("INSERT INTO workers (pioreactor_unit, added_at, model_name, model_version, is_active) VALUES (?, '2026-01-01T00:00:00.000Z', 'pioreactor_40ml', '1.5', 1)").run(w);
  }
  const units = fakeUnits(opts.units ?? {});
  const mqtt = { connected: true, publish() {}, on() {}, removeListener() {} } as unknown as MqttClient;
  const broker = { kind: 'embedded', url: 'mqtt://127.0.0.1:0', connectedClients: () => 0 } as unknown as Broker;
  const ctx: LeaderContext = {
    unitName: 'leader',
    version: '0.1.0-test',
    startedAt: Date.now(),
    db,
    mqtt,
    broker,
    ingest: null,
    tasks: new TaskStore('leader'),
    units: units.client,
    leaderJobs: null,
    clock: new RealClock(),
    log: silentLogger(),
    config,
    dataDir,
  };
  const app = await buildApp(ctx, [taskResultRoutes, ...ADMIN_RESOURCES]);
  return {
    app,
    ctx,
    db,
    dataDir,
    units,
    async close() {
      await app.close();
      db.close();
    },
  };
}

/** Follow a 202 task to its result (polls the task route). */
export async function taskResult(app: FastifyInstance, body: { result_url_path: string }, tries = 200): Promise<{ status: number; body: any }> {
  for (let i = 0; i < tries; i++) {
    const r = await app.inject({ method: 'GET', url: body.result_url_path });
    if (r.statusCode !== 202) return { status: r.statusCode, body: r.json() };
    await new Promise((res) => setTimeout(res, i < 20 ? 5 : 50));
  }
  throw new Error('task did not finish');
}

/** The error schema every 4xx/5xx JSON answer carries. */
export function isErrorBody(b: any, status: number): boolean {
  return (
    b !== null &&
    typeof b === 'object' &&
    typeof b.error === 'string' &&
    b.error.length > 0 &&
    typeof b.error_info === 'object' &&
    typeof b.error_info.remediation === 'string' &&
    typeof b.error_info.cause === 'string' &&
    b.error_info.status === status
  );
}
