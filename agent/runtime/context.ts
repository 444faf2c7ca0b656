/** What every job gets from the agent: identity, hardware, config, time, MQTT, the outbox and a local bus. */
import { EventEmitter } from 'node:events';
import type { HardwareBackend } from '../../hardware/interfaces.js';
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { ColonyLogger } from '../../shared/logger.js';
import type { DosingEvent, ODReadings } from '../../shared/payloads.js';
import type { Store } from '../store.js';
import type { UnitLink } from './link.js';
import type { BrokerOptions } from './mqtt.js';

/** In-process events between the jobs of one unit (they never depend on the broker being up). */
export interface BusEvents {
  ods: [experiment: string, readings: ODReadings];
  dosing: [experiment: string, event: DosingEvent];
  state: [experiment: string, job: string, state: string];
  pwm: [];
}

export class Bus extends EventEmitter<BusEvents> {}

export interface AgentContext {
  unit: string;
  hw: HardwareBackend;
  config: ColonyConfig;
  clock: Clock;
  log: ColonyLogger;
  broker: BrokerOptions;
  link: UnitLink;
  bus: Bus;
  store: Store;
  /** Speed factor of the simulated biology (informational for jobs). */
  speed: number;
  /** Per-job option overrides applied to every start (e.g. shortened intervals from the config). */
  version: string;
  /** Names of the jobs running now (set by the agent; jobs that must run alone check it). */
  jobsRunning?: () => string[];
}
