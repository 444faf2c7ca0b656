/** What every `/api` resource module gets: the leader's shared services. */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { ColonyLogger } from '../../shared/logger.js';
import type { LiveScoreService } from '../batches/live-scores.js';
import type { Broker } from '../broker/broker.js';
import type { Db } from '../db/open.js';
import type { IngestService } from '../ingest/service.js';
import type { TaskStore } from '../tasks.js';
import type { UnitRequestClient } from '../units/request-client.js';

/**
 * Jobs that run on the leader but look, on the wire, as if they ran on a unit (dosing automations,
 * phase detection). The `/api` job routes hand these names to it instead of the unit's agent.
 */
export interface LeaderJobs {
  handles(jobName: string): boolean;
  run(unit: string, experiment: string, jobName: string, options: Record<string, unknown>): Promise<unknown>;
  stop(unit: string, experiment: string, jobName: string): Promise<boolean>;
  update(unit: string, experiment: string, jobName: string, settings: Record<string, unknown>): Promise<void>;
  /** Running leader-hosted jobs of a unit: `[{job_name, experiment, settings}]`. */
  running(unit: string): Array<{ job_name: string; experiment: string; settings: Record<string, unknown> }>;
}

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
  /** Leader-hosted jobs (automations issue); null until registered. */
  leaderJobs: LeaderJobs | null;
  /** Running golden-batch scores (absent in tests that build a bare context). */
  liveScores?: LiveScoreService | null;
  clock: Clock;
  log: ColonyLogger;
  config: ColonyConfig;
  dataDir: string;
}
