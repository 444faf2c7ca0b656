/**
 * `npm run bench -- ingest [--publishers 8] [--seconds 10] [--rate 3000]` measures the ingest pipeline:
 *   1. pipeline: N publisher connections (fleet simulator, this process) -> embedded broker -> leader ingest ->
 *      SQLite (the leader is a child process), readings/s committed and the p99 lag from creation to the
 *      leader's commit ack;
 *   2. broker alone: the same publishers -> aedes -> one subscriber;
 *   3. SQLite alone: the leader's batching writer inserting mapped rows;
 * so the pipeline reads as a fraction of its parts.
 * `npm run bench -- ingest --fleet [--units 64] [--minutes 10]` drives 64 units at Pioreactor's rates (OD and
 * growth every 5 s, rpm every 23 s, temperature every 200 s, a log line a minute) and reports rows lost and the
 * leader's RSS.
 */
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { MqttUsers } from '../leader/auth/mqtt-users.js';
import { openDatabase } from '../leader/db/open.js';
import { mapMessage, type Mapped } from '../leader/ingest/mapping.js';
import { IngestWriter } from '../leader/ingest/writer.js';
import { DB_FILE, USERS_FILE } from '../leader/leader.js';
import { RealClock } from '../shared/clock.js';
import { FleetUnit, waitFor, type ReadingKind } from './fleet.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'cli', 'colony.js');
const KINDS: ReadingKind[] = ['od', 'growth_rate', 'od_filtered', 'temperature', 'rpm', 'log'];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Cluster {
  dir: string;
  url: string;
  httpUrl: string;
  pid: number;
  stop(): Promise<void>;
}

async function startLeaderChild(units: string[]): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'colony-bench-'));
  writeFileSync(join(dir, 'config.ini'), '[mqtt]\nusername=leader\npassword=bench-leader\n');
  const users = new MqttUsers();
  users.set('leader', 'bench-leader', 'leader');
  for (const u of units) users.set(u, `pw-${u}`, 'unit', u);
  users.save(join(dir, USERS_FILE));
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const prof = process.env.COLONY_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.COLONY_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, CLI, 'leader', '--data-dir', dir, '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--ws-port', '0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, COLONY_LOG_LEVEL: 'warn' },
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => {
    try {
      return (await fetch(`${httpUrl}/api/health`)).ok;
    } catch {
      return false;
    }
  }, 20_000, 'the leader');
  return {
    dir,
    url: `mqtt://127.0.0.1:${mqttPort}`,
    httpUrl,
    pid: child.pid!,
    stop: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

async function committedRows(httpUrl: string): Promise<number> {
  const h = (await (await fetch(`${httpUrl}/api/health`)).json()) as { ingest: { committedRows: number } };
  return h.ingest.committedRows;
}

/** Publish at `rate` readings/s in total, spread over the units, for `seconds`. */
async function drive(fleet: FleetUnit[], rate: number, seconds: number): Promise<void> {
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  let owed = 0;
  let i = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    owed += perTick;
    while (owed >= 1) {
      fleet[i % fleet.length].emit(KINDS[i % KINDS.length]);
      i++;
      owed--;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
}

async function pipeline(publishers: number, seconds: number, rate: number): Promise<void> {
  const units = Array.from({ length: publishers }, (_, k) => `b${k + 1}`);
  const c = await startLeaderChild(units);
  const fleet = units.map((u) => new FleetUnit({ unit: u, experiment: 'bench', url: c.url, username: u, password: `pw-${u}`, replayAfterMs: 60_000 }));
  for (const f of fleet) f.trackLag = true;
  await Promise.all(fleet.map((f) => f.connect()));
  const before = await committedRows(c.httpUrl);
  const cpu0 = cpuSeconds(c.pid);
  const own0 = process.cpuUsage();
  const t0 = Date.now();
  await drive(fleet, rate, seconds);
  const published = fleet.reduce((a, f) => a + f.published, 0);
  await waitFor(() => fleet.every((f) => f.pending === 0), 120_000, 'all readings acknowledged');
  const elapsed = (Date.now() - t0) / 1000;
  const leaderCpu = (cpuSeconds(c.pid) - cpu0) / elapsed;
  const own = process.cpuUsage(own0);
  const pubCpu = (own.user + own.system) / 1e6 / elapsed;
  const committed = (await committedRows(c.httpUrl)) - before;
  const lags = fleet.flatMap((f) => f.lags);
  console.log(`pipeline: ${publishers} publishers, offered ${rate}/s for ${seconds} s`);
  console.log(`  committed ${committed} of ${published} readings in ${elapsed.toFixed(1)} s = ${(committed / elapsed).toFixed(0)} readings/s`);
  console.log(`  lag creation -> commit ack: p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms, max ${lags.reduce((a, b) => Math.max(a, b), 0)} ms`);
  console.log(`  leader RSS ${rssMb(c.pid).toFixed(0)} MB; CPU: leader ${(leaderCpu * 100).toFixed(0)}% of a core, publishers (this process) ${(pubCpu * 100).toFixed(0)}%`);
  await Promise.all(fleet.map((f) => f.close()));
  await c.stop();
  rmSync(c.dir, { recursive: true, force: true });
}

async function brokerAlone(publishers: number, count: number): Promise<void> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sub = await mqtt.connectAsync(url, { protocolVersion: 4 });
  let got = 0;
  sub.on('message', () => got++);
  await sub.subscribeAsync('pioreactor/#', { qos: 1 });
  const pubs = await Promise.all(Array.from({ length: publishers }, () => mqtt.connectAsync(url, { protocolVersion: 4 })));
  const payload = JSON.stringify({ growth_rate: 0.2, timestamp: '2026-11-24T08:18:24.211Z', colony_seq: 1, colony_epoch: 'x' });
  const t0 = Date.now();
  for (let i = 0; i < count; i++) pubs[i % publishers].publish(`pioreactor/b${i % publishers}/bench/growth_rate_calculating/growth_rate`, payload, { qos: 1 });
  await waitFor(() => got >= count, 120_000, 'broker delivery');
  const s = (Date.now() - t0) / 1000;
  console.log(`broker alone (aedes, QoS 1, ${publishers} publishers -> 1 subscriber): ${(count / s).toFixed(0)} msgs/s`);
  await Promise.all([...pubs, sub].map((c) => c.endAsync(true)));
  await new Promise<void>((r) => broker.close(() => server.close(() => r())));
}

function sqliteAlone(count: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'colony-bench-sqlite-'));
  const db = openDatabase(join(dir, DB_FILE));
  const writer = new IngestWriter(db, { clock: new RealClock(), batchRows: 250 });
  const msgs: Array<Extract<Mapped, { kind: 'rows' }>> = [];
  for (let i = 0; i < count; i++) {
    const m = mapMessage({
      topic: `pioreactor/b${i % 8}/bench/od_reading/od2`,
      payload: JSON.stringify({ calibrated: 0, timestamp: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString(), angle: '90', od: 0.1, channel: '2', ir_led_intensity: 80, colony_seq: Math.floor(i / 8) + 1, colony_epoch: 'e' }),
      retain: false,
      now: Date.now(),
    });
    if (m.kind === 'rows') msgs.push(m);
  }
  const t0 = process.hrtime.bigint();
  for (const m of msgs) {
    writer.push(m);
    if (writer.queuedCount >= 250) writer.flush();
  }
  writer.flush();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const t1 = process.hrtime.bigint();
  for (let i = 1; i <= 20_000; i++) {
    mapMessage({ topic: 'pioreactor/b1/bench/od_reading/od2', payload: JSON.stringify({ calibrated: 0, timestamp: '2026-11-24T08:18:24.211Z', angle: '90', od: 0.1, channel: '2', ir_led_intensity: 80 }), retain: false, now: 0 });
  }
  const parseS = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(`sqlite alone (batching writer, 250-row transactions, WAL, dedupe + rollup): ${(count / s).toFixed(0)} rows/s`);
  console.log(`parse + map alone (zod schema, topic parser): ${(20_000 / parseS).toFixed(0)} msgs/s`);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

async function fleetMode(unitsN: number, minutes: number): Promise<void> {
  const units = Array.from({ length: unitsN }, (_, k) => `f${k + 1}`);
  const c = await startLeaderChild(units);
  const fleet = units.map((u) => new FleetUnit({ unit: u, experiment: 'fleet', url: c.url, username: u, password: `pw-${u}` }));
  for (let i = 0; i < fleet.length; i += 8) await Promise.all(fleet.slice(i, i + 8).map((f) => f.connect()));
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, kind: ReadingKind) => timers.push(setInterval(() => fleet.forEach((f) => f.emit(kind)), ms));
  every(5000, 'od');
  every(5000, 'growth_rate');
  every(5000, 'od_filtered');
  every(23_000, 'rpm');
  every(200_000, 'temperature');
  every(60_000, 'log');
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(c.pid))), 1000);
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  timers.forEach(clearInterval);
  await waitFor(() => fleet.every((f) => f.pending === 0), 60_000, 'all acknowledged');
  clearInterval(sampler);
  const db = new Database(join(c.dir, DB_FILE), { readonly: true });
  const tables = ['od_readings', 'growth_rates', 'od_readings_filtered', 'stirring_rates', 'temperature_readings', 'logs'];
  const stored = tables.reduce((a, t) => a + (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE experiment = 'fleet'`).get() as { n: number }).n, 0);
  db.close();
  const published = fleet.reduce((a, f) => a + f.published, 0);
  console.log(`fleet: ${unitsN} units for ${minutes} min: published ${published}, stored ${stored}, lost ${published - stored}; leader max RSS ${maxRss.toFixed(0)} MB`);
  await Promise.all(fleet.map((f) => f.close()));
  await c.stop();
  rmSync(c.dir, { recursive: true, force: true });
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      publishers: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '25000' },
      fleet: { type: 'boolean', default: false },
      units: { type: 'string', default: '64' },
      minutes: { type: 'string', default: '10' },
    },
  });
  if (values.fleet) return fleetMode(Number(values.units), Number(values.minutes));
  const n = Number(values.publishers);
  await brokerAlone(n, 100_000);
  sqliteAlone(100_000);
  await pipeline(n, Number(values.seconds), Number(values.rate));
}
