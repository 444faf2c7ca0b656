/**
 * The unit's own MQTT connection: it publishes the outbox in seq order (docs/protocol.md §1), receives the leader's
 * commit acks, requests and the experiment assignment, and carries the unit-level retained state (`leds/intensity`,
 * `pwms/dc`, `bioreactor/*`), which it republishes after every reconnect.
 */
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { CommittedAck, parsePayload } from '../../shared/payloads.js';
import { topics } from '../../shared/topics.js';
import { withFloor, type Outbox, type OutboxKind } from '../outbox.js';
import { connectClient, endClient, type BrokerOptions } from './mqtt.js';

export interface LinkOptions {
  unit: string;
  broker: BrokerOptions;
  outbox: Outbox;
  clock: Clock;
  log: ColonyLogger;
  /** Replay unacknowledged rows after this long without ack progress while connected (default 30 s). */
  replayTimeoutMs?: number;
  /** Messages handed to mqtt.js and not yet PUBACKed, at most (default 200). */
  window?: number;
}

export interface LinkEvents {
  request: [topic: string, payload: Buffer];
  assignment: [payload: Buffer];
  connect: [];
  offline: [];
}

export class UnitLink extends EventEmitter<LinkEvents> {
  readonly client: MqttClient;
  private sentUpTo: number;
  private inflight = 0;
  private generation = 0;
  private readonly retained = new Map<string, { payload: string; qos: 0 | 1 | 2 }>();
  private lastProgress: number;
  private leaderSeen = false;
  private timer: TimerHandle | null = null;
  private closed = false;
  /** Published outbox messages (including replays), for stats. */
  sent = 0;

  constructor(private readonly o: LinkOptions) {
    super();
    this.sentUpTo = o.outbox.ackedSeq;
    this.lastProgress = o.clock.now();
    this.client = connectClient(o.broker, { clientIdBase: `colony-${o.unit}` });
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => {
      this.generation++;
      this.inflight = 0;
    });
    this.client.on('offline', () => this.emit('offline'));
    this.client.on('error', (e) => o.log.debug({ err: e.message }, 'unit link error'));
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    const every = Math.min(5000, o.replayTimeoutMs ?? 30_000);
    this.timer = o.clock.setInterval(() => this.checkStale(), every);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  private onConnect(): void {
    const u = this.o.unit;
    this.client.subscribe(
      [topics.committed(u), 'pioreactor/+/$experiment/mqtt_to_db_streaming/$state', `pioreactor/${u}/$experiment/colony/request/+`, topics.assignment(u)],
      { qos: 1 },
    );
    for (const [t, v] of this.retained) this.client.publish(t, v.payload, { qos: v.qos, retain: true });
    this.replay('connect');
    this.emit('connect');
  }

  private onMessage(topic: string, payload: Buffer, retain: boolean): void {
    const u = this.o.unit;
    if (topic === topics.committed(u)) {
      const r = parsePayload(CommittedAck, payload);
      if (!r.ok) {
        if (payload.length) this.o.log.warn({ topic, error: r.error }, 'bad commit ack');
        return;
      }
      this.leaderSeen = true;
      if (r.value.epoch !== this.o.outbox.epoch) return;
      if (this.o.outbox.ack(r.value.epoch, r.value.seq)) this.lastProgress = this.o.clock.now();
      if (this.sentUpTo < this.o.outbox.ackedSeq) this.sentUpTo = this.o.outbox.ackedSeq;
      this.pump();
      return;
    }
    if (topic.endsWith('/mqtt_to_db_streaming/$state')) {
      if (payload.toString() === 'ready') {
        this.leaderSeen = true;
        if (!retain) this.replay('leader ready');
      }
      return;
    }
    if (topic === topics.assignment(u)) {
      this.emit('assignment', payload);
      return;
    }
    if (!retain) this.emit('request', topic, payload);
  }

  /** Publish everything above the last ack again, in order. */
  replay(why: string): void {
    if (this.o.outbox.lastSeq > this.o.outbox.ackedSeq) this.o.log.debug({ why, from: this.o.outbox.ackedSeq + 1 }, 'outbox replay');
    this.generation++;
    this.inflight = 0;
    this.sentUpTo = this.o.outbox.ackedSeq;
    this.lastProgress = this.o.clock.now();
    this.pump();
  }

  private checkStale(): void {
    if (!this.client.connected || !this.leaderSeen) return;
    const timeout = this.o.replayTimeoutMs ?? 30_000;
    if (this.o.outbox.ackedSeq < this.sentUpTo && this.o.clock.now() - this.lastProgress > timeout) this.replay('ack timeout');
  }

  /** Store a reading in the outbox, then publish it (QoS 1). */
  emitReading(topic: string, body: Record<string, unknown>, opts: { kind?: OutboxKind; retain?: boolean } = {}): number {
    const row = this.o.outbox.add(topic, body, opts);
    this.pump();
    return row.seq;
  }

  private pump(): void {
    if (!this.client.connected || this.closed) return;
    const window = this.o.window ?? 200;
    const gen = this.generation;
    while (this.inflight < window) {
      const rows = this.o.outbox.rowsAfter(this.sentUpTo, window - this.inflight);
      if (rows.length === 0) return;
      const floor = this.o.outbox.floor();
      for (const r of rows) {
        this.sentUpTo = r.seq;
        this.inflight++;
        this.sent++;
        this.client.publish(r.topic, withFloor(r.payload, floor), { qos: 1, retain: r.retain }, () => {
          if (gen !== this.generation) return;
          this.inflight = Math.max(0, this.inflight - 1);
          if (this.inflight === 0 || this.inflight < window / 2) this.pump();
        });
      }
    }
  }

  /** Retained state outside the outbox (republished after reconnect). An empty payload clears it. */
  publishRetained(topic: string, payload: string, qos: 0 | 1 | 2 = 2): void {
    if (payload === '') this.retained.delete(topic);
    else this.retained.set(topic, { payload, qos });
    if (this.client.connected) this.client.publish(topic, payload, { qos, retain: true });
  }

  /** A plain publish (replies, QoS 1, not retained). */
  publish(topic: string, payload: string, qos: 0 | 1 | 2 = 1): void {
    this.client.publish(topic, payload, { qos, retain: false });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.o.clock.clear(this.timer);
    await endClient(this.client);
  }
}
