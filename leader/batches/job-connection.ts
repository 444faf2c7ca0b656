/**
 * A job the leader runs on a unit's behalf on the wire (`phase_detection`, `batch_scoring`): its OWN MQTT
 * connection whose last will is `lost` on `pioreactor/{unit}/{exp}/{job}/$state`, `ready` published (again
 * after every reconnect), retained settings and MQTT log lines, so the Pioreactor UI and our `/api` see the
 * job under the unit's topics as if it ran there.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { randomId } from '../../shared/ids.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics } from '../../shared/topics.js';

export interface BrokerCreds {
  brokerUrl?: string;
  username?: string;
  password?: string;
}

export function mqttOptions(c: BrokerCreds) {
  return { username: c.username, password: c.password, protocolVersion: 4 as const, reconnectPeriod: 1000, connectTimeout: 10_000 };
}

export class LeaderHostedJob {
  private constructor(
    private readonly client: MqttClient,
    readonly unit: string,
    readonly experiment: string,
    readonly job: string,
  ) {}

  /** Connects (with the will) and publishes `ready`; null when no broker is configured. */
  static async open(c: BrokerCreds, unit: string, experiment: string, job: string, log: ColonyLogger): Promise<LeaderHostedJob | null> {
    if (!c.brokerUrl) return null;
    const stateTopic = topics.state(unit, experiment, job);
    const client = await mqtt.connectAsync(c.brokerUrl, {
      ...mqttOptions(c),
      clientId: `${job}-${unit}-${experiment}-${randomId(4)}`.slice(0, 120),
      clean: true,
      will: { topic: stateTopic, payload: Buffer.from('lost'), qos: 2, retain: true },
    });
    const j = new LeaderHostedJob(client, unit, experiment, job);
    client.on('error', (e) => log.warn({ unit, job, err: e.message }, `${job} mqtt error`));
    client.on('connect', () => !j.closed && client.publish(stateTopic, 'ready', { qos: 2, retain: true }));
    await client.publishAsync(stateTopic, 'ready', { qos: 2, retain: true });
    return j;
  }

  private closed = false;

  /** A retained setting, `pioreactor/{unit}/{exp}/{job}/{key}`. */
  setting(key: string, value: string): void {
    if (this.closed) return;
    this.client.publish(topics.setting(this.unit, this.experiment, this.job, key), value, { qos: 2, retain: true });
  }

  /** A line on the unit's MQTT log (what the Pioreactor UI's log view shows). */
  logLine(level: 'info' | 'warning' | 'error', message: string, atMs: number): void {
    if (this.closed) return;
    this.client.publish(
      topics.log(this.unit, this.experiment, this.job, level),
      JSON.stringify({ message, task: this.job, source: 'app', level: level.toUpperCase(), timestamp: formatTimestamp(atMs) }),
      { qos: 0 },
    );
  }

  /**
   * Leader shutdown: drop the connection WITHOUT a DISCONNECT, so the broker publishes the will (`lost`)
   * while the leader is away; the job publishes `ready` again when the leader comes back.
   */
  async drop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.options.reconnectPeriod = 0;
    await new Promise<void>((res) => this.client.end(true, {}, () => res()));
  }

  /** A clean stop: `disconnected`, then a normal DISCONNECT. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.publishAsync(topics.state(this.unit, this.experiment, this.job), 'disconnected', { qos: 2, retain: true }).catch(() => undefined);
    await this.client.endAsync().catch(() => undefined);
  }
}
