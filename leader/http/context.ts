/** What every `/api` resource module gets: the leader's shared services. */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { ColonyLogger } from '../../shared/logger.js';
import type { Broker } from '../broker/broker.js';
import type { Db } from '../db/open.js';
import type { IngestService } from '../ingest/service.js';
import type { TaskStore } from '../tasks.js';
import type { UnitRequestClient } from '../units/request-client.js';

export interface LeaderContext {
  /** The leader's hostname, as `unit` in 202 bodies and in the cluster list. */
  unitName: string;
  version: string;
  startedAt: number;
  db: Db;
  /** The leader's MQTT connection for publishing (assignments, /set commands, acks). */
  mqtt: MqttClient;
  broker: Broker;
  ingest: IngestService | null;
  tasks: TaskStore;
  /** Request/reply to agents (docs/protocol.md). */
  units: UnitRequestClient;
  clock: Clock;
  log: ColonyLogger;
  config: ColonyConfig;
  dataDir: string;
}
