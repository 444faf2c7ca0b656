/**
 * The leader's watch over its units' clocks and versions (field-notes §2: clock drift is a recurring pain on
 * Pis without an RTC or without NTP on an access point; Pioreactor #511: version gate for workers).
 *
 * Each agent's `monitor` job publishes `clock_time` (every 60 s) and `versions` (on start) under `$experiment`.
 * The leader compares the clock with its own on arrival (retained copies are stale, so they are skipped) and
 * the app version with its own, and warns: in its log, and as a WARNING log line over MQTT so the UI shows it.
 * With `[cluster.health] version_mismatch=refuse`, `refusal(unit)` gives the reason the job routes refuse with.
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics, UNIVERSAL_EXPERIMENT } from '../../shared/topics.js';

export interface UnitHealth {
  unit: string;
  /** unit clock - leader clock, ms (positive: the unit is ahead), at the last report. */
  clock_offset_ms: number | null;
  clock_reported_at: string | null;
  version: string | null;
  version_matches: boolean | null;
}

export interface ClusterHealthOptions {
  mqtt: MqttClient;
  clock: Clock;
  log: ColonyLogger;
  config: ColonyConfig;
  leaderUnit: string;
  leaderVersion: string;
}

const CLOCK_TOPIC = `pioreactor/+/${UNIVERSAL_EXPERIMENT}/monitor/clock_time`;
const VERSIONS_TOPIC = `pioreactor/+/${UNIVERSAL_EXPERIMENT}/monitor/versions`;

function unquote(s: string): string {
  const t = s.trim();
  if (t.startsWith('"')) {
    try {
      return String(JSON.parse(t));
    } catch {
      return t;
    }
  }
  return t;
}

export class ClusterHealth {
  private readonly units = new Map<string, UnitHealth>();
  private readonly warned = new Map<string, string>();
  private readonly onMessage: (topic: string, payload: Buffer, packet: { retain?: boolean }) => void;

  constructor(private readonly o: ClusterHealthOptions) {
    this.onMessage = (topic, payload, packet) => {
      const parts = topic.split('/');
      if (parts.length !== 5 || parts[2] !== UNIVERSAL_EXPERIMENT || parts[3] !== 'monitor') return;
      const unit = parts[1];
      if (parts[4] === 'clock_time' && !packet.retain) this.clockReport(unit, payload.toString('utf8'));
      else if (parts[4] === 'versions') this.versionReport(unit, payload.toString('utf8'));
    };
  }

  get thresholdMs(): number {
    return (this.o.config['cluster.health']?.clock_drift_warn_seconds ?? 5) * 1000;
  }

  async start(): Promise<void> {
    this.o.mqtt.on('message', this.onMessage);
    await this.o.mqtt.subscribeAsync([CLOCK_TOPIC, VERSIONS_TOPIC], { qos: 1 });
  }

  async stop(): Promise<void> {
    this.o.mqtt.off('message', this.onMessage);
    await this.o.mqtt.unsubscribeAsync([CLOCK_TOPIC, VERSIONS_TOPIC]).catch(() => undefined);
  }

  private entry(unit: string): UnitHealth {
    let h = this.units.get(unit);
    if (!h) {
      h = { unit, clock_offset_ms: null, clock_reported_at: null, version: null, version_matches: null };
      this.units.set(unit, h);
    }
    return h;
  }

  /** A unit's clock report, compared with the leader's clock at arrival (transit time counts as drift, ~ms). */
  clockReport(unit: string, payload: string): void {
    const t = Date.parse(unquote(payload));
    if (!Number.isFinite(t)) return;
    const h = this.entry(unit);
    h.clock_offset_ms = t - this.o.clock.now();
    h.clock_reported_at = formatTimestamp(this.o.clock.now());
    if (Math.abs(h.clock_offset_ms) > this.thresholdMs) {
      const s = (Math.abs(h.clock_offset_ms) / 1000).toFixed(1);
      this.warnOnce(
        `clock:${unit}`,
        `Clock of ${unit} is ${s} s ${h.clock_offset_ms > 0 ? 'ahead of' : 'behind'} the leader (threshold ${this.thresholdMs / 1000} s). ` +
          `Remedy: enable NTP on ${unit} (timedatectl set-ntp true) with the leader as its server, or run "colony doctor --agent" there.`,
      );
    } else this.warned.delete(`clock:${unit}`);
  }

  versionReport(unit: string, payload: string): void {
    let v: string | null = null;
    try {
      const j = JSON.parse(payload) as { app?: unknown };
      if (typeof j.app === 'string') v = j.app;
    } catch {
      v = unquote(payload) || null;
    }
    if (!v) return;
    const h = this.entry(unit);
    h.version = v;
    h.version_matches = v === this.o.leaderVersion;
    if (!h.version_matches)
      this.warnOnce(
        `version:${unit}:${v}`,
        `${unit} runs Colony ${v} but the leader runs ${this.o.leaderVersion}. Remedy: install the leader's version on ${unit} (scripts/install-agent.sh --tarball ...).` +
          (this.policy() === 'refuse' ? ' Jobs on it are refused until then.' : ''),
      );
  }

  private policy(): 'warn' | 'refuse' {
    return this.o.config['cluster.health']?.version_mismatch ?? 'warn';
  }

  /** Why a job must not start on this unit, or null. */
  refusal(unit: string): string | null {
    const h = this.units.get(unit);
    if (this.policy() !== 'refuse' || !h || h.version_matches !== false) return null;
    return `${unit} runs Colony ${h.version}, the leader ${this.o.leaderVersion}; [cluster.health] version_mismatch=refuse`;
  }

  report(): UnitHealth[] {
    return [...this.units.values()].sort((a, b) => a.unit.localeCompare(b.unit));
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.get(key) === message.slice(0, 40)) return;
    this.warned.set(key, message.slice(0, 40));
    this.o.log.warn({ check: key }, message);
    const level = 'WARNING';
    const payload = { message, level, task: 'cluster_health', source: 'leader', timestamp: formatTimestamp(this.o.clock.now()) };
    this.o.mqtt.publish(topics.log(this.o.leaderUnit, UNIVERSAL_EXPERIMENT, 'leader', level), JSON.stringify(payload), { qos: 1 });
  }
}

/** The running watch for each leader, for the `/api` routes (no LeaderContext field needed). */
const REGISTRY = new WeakMap<object, ClusterHealth>();

export function registerClusterHealth(key: object, h: ClusterHealth): void {
  REGISTRY.set(key, h);
}

export function clusterHealthOf(key: object): ClusterHealth | undefined {
  return REGISTRY.get(key);
}

/** Start the watch for a leader (`key` is its LeaderContext). */
export async function startClusterHealth(key: object, o: ClusterHealthOptions): Promise<ClusterHealth> {
  const h = new ClusterHealth(o);
  await h.start();
  registerClusterHealth(key, h);
  return h;
}
