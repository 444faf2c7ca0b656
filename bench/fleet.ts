/**
 * A one-process fleet simulator that speaks the agent protocol (docs/protocol.md §1): each simulated unit
 * has its own MQTT connection and an in-memory outbox of sequenced readings, publishes at QoS 1, trims only
 * on the leader's commit ack, and replays what is unacknowledged after a reconnect, when the leader's ingest
 * comes back, and on a timeout. Used by the ingest benchmark and by the leader's fault tests, which compare
 * the leader's rows with `published` per unit.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { randomId } from '../shared/ids.js';
import { formatTimestamp } from '../shared/timestamps.js';
import { topics } from '../shared/topics.js';

export interface FleetUnitOptions {
  unit: string;
  experiment: string;
  url: string;
  username?: string;
  password?: string;
  /** Replay rows unacknowledged for this long (ms). */
  replayAfterMs?: number;
}

interface OutboxRow {
  seq: number;
  topic: string;
  payload: string;
  sentAt: number;
}

/** The kinds of reading a simulated unit emits, each to its Pioreactor topic. */
export type ReadingKind = 'od' | 'growth_rate' | 'od_filtered' | 'temperature' | 'rpm' | 'log';

export class FleetUnit {
  readonly epoch = randomId(10);
  /** Readings created (each with a distinct seq). */
  published = 0;
  readonly publishedByKind: Record<ReadingKind, number> = { od: 0, growth_rate: 0, od_filtered: 0, temperature: 0, rpm: 0, log: 0 };
  acked = 0;
  /** Times at which each seq was created (for lag measurement). */
  readonly createdAt = new Map<number, number>();
  /** Lag (ms) from creation to acknowledgement, per acknowledged seq, when `trackLag` is on. */
  readonly lags: number[] = [];
  trackLag = false;
  private readonly outbox: OutboxRow[] = [];
  private client: MqttClient | null = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private t = 0;

  constructor(readonly opts: FleetUnitOptions) {}

  get pending(): number {
    return this.outbox.length;
  }

  get connected(): boolean {
    return !!this.client?.connected;
  }

  async connect(): Promise<void> {
    const o = this.opts;
    if (this.replayTimer) clearInterval(this.replayTimer);
    const client = mqtt.connect(o.url, {
      username: o.username,
      password: o.password,
      clientId: `fleet-${o.unit}-${randomId(4)}`,
      protocolVersion: 4,
      reconnectPeriod: 300,
      connectTimeout: 5000,
      clean: true,
    });
    this.client = client;
    client.on('error', () => undefined);
    client.on('connect', () => {
      client.subscribe([topics.committed(o.unit), 'pioreactor/+/$experiment/mqtt_to_db_streaming/$state'], { qos: 1 });
      this.replay();
    });
    client.on('message', (topic, payload, packet) => {
      if (topic.endsWith('/mqtt_to_db_streaming/$state')) {
        if (String(payload) === 'ready' && !packet.retain) this.replay();
        return;
      }
      try {
        const ack = JSON.parse(String(payload)) as { epoch: string; seq: number };
        if (ack.epoch === this.epoch) this.trim(ack.seq);
      } catch {
        // not an ack we understand
      }
    });
    await new Promise<void>((resolve, reject) => {
      const to = setTimeout(() => reject(new Error(`fleet unit ${o.unit} could not connect to ${o.url}`)), 10_000);
      client.once('connect', () => {
        clearTimeout(to);
        resolve();
      });
    });
    const every = o.replayAfterMs ?? 30_000;
    this.replayTimer = setInterval(() => this.replayStale(every), Math.max(250, every / 4));
  }

  /** Create one reading, store it in the outbox, publish it if connected. */
  emit(kind: ReadingKind, now = Date.now()): number {
    const seq = this.published + 1;
    this.published = seq;
    this.publishedByKind[kind]++;
    if (this.trackLag) this.createdAt.set(seq, now);
    const ts = formatTimestamp(now + this.t++ % 1000);
    const { unit, experiment: exp } = this.opts;
    const extra = { colony_seq: seq, colony_epoch: this.epoch, colony_floor: this.outbox.length ? this.outbox[0].seq : seq };
    let topic: string;
    let body: Record<string, unknown>;
    switch (kind) {
      case 'od':
        topic = topics.setting(unit, exp, 'od_reading', 'od2');
        body = { calibrated: 0, timestamp: ts, angle: '90', od: 0.05 + (seq % 100) / 1000, channel: '2', ir_led_intensity: 80.0 };
        break;
      case 'growth_rate':
        topic = topics.setting(unit, exp, 'growth_rate_calculating', 'growth_rate');
        body = { growth_rate: 0.2, timestamp: ts };
        break;
      case 'od_filtered':
        topic = topics.setting(unit, exp, 'growth_rate_calculating', 'od_filtered');
        body = { od_filtered: 1.1, timestamp: ts };
        break;
      case 'temperature':
        topic = topics.setting(unit, exp, 'temperature_automation', 'temperature');
        body = { temperature: 30.1, timestamp: ts };
        break;
      case 'rpm':
        topic = topics.setting(unit, exp, 'stirring', 'measured_rpm');
        body = { measured_rpm: 500.0, timestamp: ts };
        break;
      case 'log':
        topic = topics.log(unit, exp, 'app', 'info');
        body = { message: `reading ${seq}`, level: 'INFO', task: 'fleet', source: 'app', timestamp: ts };
        break;
    }
    const row: OutboxRow = { seq, topic, payload: JSON.stringify({ ...body, ...extra }), sentAt: Date.now() };
    this.outbox.push(row);
    if (this.client?.connected) this.client.publish(row.topic, row.payload, { qos: 1 });
    return seq;
  }

  private trim(seq: number): void {
    if (seq <= this.acked) return;
    const now = Date.now();
    this.acked = seq;
    let i = 0;
    while (i < this.outbox.length && this.outbox[i].seq <= seq) {
      if (this.trackLag) {
        const c = this.createdAt.get(this.outbox[i].seq);
        if (c !== undefined) {
          this.lags.push(now - c);
          this.createdAt.delete(this.outbox[i].seq);
        }
      }
      i++;
    }
    this.outbox.splice(0, i);
  }

  /** Republish every unacknowledged row, in order. */
  replay(): void {
    if (!this.client?.connected) return;
    const now = Date.now();
    for (const row of this.outbox) {
      row.sentAt = now;
      this.client.publish(row.topic, row.payload, { qos: 1 });
    }
  }

  private replayStale(afterMs: number): void {
    if (this.outbox.length && Date.now() - this.outbox[0].sentAt > afterMs) this.replay();
  }

  /** Drop the connection abruptly (no DISCONNECT), as a network cut does. */
  cut(): void {
    this.client?.stream.destroy();
    this.client?.end(true);
    this.client = null;
  }

  async close(): Promise<void> {
    if (this.replayTimer) clearInterval(this.replayTimer);
    this.replayTimer = null;
    await this.client?.endAsync(true);
    this.client = null;
  }
}

/** Wait until `cond` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
