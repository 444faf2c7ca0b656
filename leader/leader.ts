/**
 * The leader daemon: database, broker (embedded or external), ingest, HTTP. `startLeader` returns a
 * handle whose `stop()` shuts everything down in order (HTTP, ingest flush, MQTT, broker, database).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { RealClock, type Clock } from '../shared/clock.js';
import { loadConfig, type ColonyConfig } from '../shared/config/index.js';
import { createLogger, type ColonyLogger } from '../shared/logger.js';
import { topics, UNIVERSAL_EXPERIMENT } from '../shared/topics.js';
import { MqttUsers } from './auth/mqtt-users.js';
import { externalBroker, type Broker } from './broker/broker.js';
import { startEmbeddedBroker } from './broker/embedded.js';
import { startClusterHealth } from './discovery/cluster-health.js';
import { openDatabase, type Db } from './db/open.js';
import { startLeaderServices } from './automations/services.js';
import { buildApp } from './http/app.js';
import type { LeaderContext } from './http/context.js';
import { IngestService } from './ingest/service.js';
import { aedesSource, mqttSource } from './ingest/source.js';
import { systemdNotifier } from './notifier.js';
import { TaskStore } from './tasks.js';
import { UnitRequestClient } from './units/request-client.js';
import { startOnlinePhases } from './batches/online.js';
import { LiveScoreService } from './batches/live-scores.js';
import { LeaderBus } from './bus.js';
import { VERSION } from './version.js';

export interface LeaderOptions {
  dataDir: string;
  configFile?: string;
  httpHost?: string;
  httpPort?: number;
  mqttPort?: number;
  wsPort?: number | null;
  /** External broker URL; when set, no embedded broker runs. */
  brokerUrl?: string;
  /**
   * How many times faster than the clock the units' biology runs (the sim's `--speed`); phase detection works in
   * biological hours. Defaults to `[colony] speed` (1 for real cultures).
   */
  speed?: number;
  clock?: Clock;
  log?: ColonyLogger;
  unitName?: string;
}

export interface LeaderHandle {
  ctx: LeaderContext;
  app: FastifyInstance;
  httpUrl: string;
  broker: Broker;
  stop(): Promise<void>;
}

/** `pioreactor/{leader}/$experiment/mqtt_to_db_streaming/$state`: the ingest job's state. */
export function ingestStateTopic(leaderUnit: string): string {
  return topics.state(leaderUnit, UNIVERSAL_EXPERIMENT, 'mqtt_to_db_streaming');
}

/**
 * The leader's config file: `<dataDir>/config/config.ini`, where the `/api` config editor saves it; before the
 * first save, `<dataDir>/config.ini` (what `colony demo` and older data dirs have).
 */
export function defaultConfigFile(dataDir: string): string | undefined {
  for (const p of [join(dataDir, 'config', 'config.ini'), join(dataDir, 'config.ini')]) if (existsSync(p)) return p;
  return undefined;
}

export const USERS_FILE = 'mqtt_users.json';
export const DB_FILE = 'colony.sqlite';

export async function startLeader(opts: LeaderOptions): Promise<LeaderHandle> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const clock = opts.clock ?? new RealClock();
  const log = opts.log ?? createLogger({ name: 'leader' });
  const configFile = opts.configFile ?? defaultConfigFile(dataDir);
  const config: ColonyConfig = loadConfig({ shared: configFile });
  const username = process.env.COLONY_MQTT_USERNAME ?? config.mqtt.username;
  const password = process.env.COLONY_MQTT_PASSWORD ?? config.mqtt.password;
  if (!username || !password) {
    throw new Error(
      `no MQTT credentials for the leader: set [mqtt] username and password in ${configFile ?? 'the config file'} (or COLONY_MQTT_USERNAME/COLONY_MQTT_PASSWORD); "colony demo" generates them`,
    );
  }

  const usersPath = join(dataDir, USERS_FILE);
  let users = MqttUsers.load(usersPath);
  if (!opts.brokerUrl && !users.verify(username, password)) {
    users.set(username, password, 'leader');
    users.save(usersPath);
  }

  const db: Db = openDatabase(join(dataDir, DB_FILE));
  const embedded = opts.brokerUrl
    ? null
    : await startEmbeddedBroker({
        port: opts.mqttPort ?? config.mqtt.broker_port,
        wsPort: opts.wsPort === undefined ? config.mqtt.broker_ws_port : opts.wsPort,
        users: () => users,
        log,
        maxConnections: config.leader.max_mqtt_connections,
      });
  const broker: Broker = embedded ?? externalBroker(opts.brokerUrl!);

  const unitName = opts.unitName ?? config['cluster.topology'].leader_hostname ?? hostname();
  const client: MqttClient = await mqtt.connectAsync(broker.url, {
    username,
    password,
    clientId: `colony-leader-${unitName}`,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // Pioreactor's DB writer job is `mqtt_to_db_streaming` under `$experiment`; agents watch its state and
    // replay their outboxes when it becomes ready again (docs/protocol.md §1).
    will: { topic: ingestStateTopic(unitName), payload: Buffer.from('lost'), qos: 2, retain: true },
  });
  client.on('error', (e) => log.warn({ err: e.message }, 'leader mqtt error'));
  const announceIngest = () => client.publish(ingestStateTopic(unitName), 'ready', { qos: 2, retain: true });
  client.on('connect', announceIngest);

  const ingest = new IngestService(db, embedded ? aedesSource(embedded.aedes) : mqttSource(client), clock, log, {
    batchMs: config.leader.ingest_batch_ms,
    batchRows: config.leader.ingest_batch_rows,
  });
  await ingest.start();
  announceIngest();
  const bus = new LeaderBus();
  const phases = await startOnlinePhases({ db, brokerUrl: broker.url, username, password, log, speed: opts.speed ?? config.colony.speed, bus });

  const liveScores = new LiveScoreService({ db, clock, log, intervalMs: config.leader.live_score_interval_seconds * 1000, bus, brokerUrl: broker.url, username, password });
  liveScores.start();

  const units = new UnitRequestClient(client, clock);
  await units.start();

  const ctx: LeaderContext = {
    unitName,
    version: VERSION,
    startedAt: clock.now(),
    db,
    mqtt: client,
    broker,
    ingest,
    tasks: new TaskStore(unitName),
    units,
    leaderJobs: null,
    liveScores,
    clock,
    log,
    config,
    dataDir,
  };
  const health = await startClusterHealth(ctx, { mqtt: client, clock, log, config, leaderUnit: unitName, leaderVersion: VERSION });
  // dosing automations (ctx.leaderJobs), experiment profiles, schedules
  const services = await startLeaderServices(ctx, { username, password }, { bus });
  const app = await buildApp(ctx);
  const host = opts.httpHost ?? '127.0.0.1';
  await app.listen({ host, port: opts.httpPort ?? config.leader.http_port });
  const addr = app.server.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : (opts.httpPort ?? 4999);
  const httpUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${httpPort}`;

  // Reload MQTT identities when `colony workers add` rewrites the file (only then: the loaded set caches
  // verified credentials).
  const mtime = () => (existsSync(usersPath) ? statSync(usersPath).mtimeMs : 0);
  let usersMtime = mtime();
  const reload = setInterval(() => {
    try {
      const m = mtime();
      if (m === usersMtime) return;
      usersMtime = m;
      users = MqttUsers.load(usersPath);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not reload MQTT users');
    }
  }, 5000);
  reload.unref();

  const notifier = systemdNotifier();
  notifier.ready(`serving ${httpUrl}`);
  const watchdog = notifier.watchdogIntervalMs ? setInterval(() => notifier.watchdog(), notifier.watchdogIntervalMs) : null;

  let stopped = false;
  return {
    ctx,
    app,
    httpUrl,
    broker,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      notifier.stopping();
      clearInterval(reload);
      if (watchdog) clearInterval(watchdog);
      await app.close();
      await health.stop();
      await services.stop();
      units.stop();
      await phases.stop();
      await liveScores.stop();
      await ingest.stop();
      await client.publishAsync(ingestStateTopic(unitName), 'disconnected', { qos: 2, retain: true }).catch(() => undefined);
      await client.endAsync();
      await broker.close();
      db.close();
    },
  };
}
