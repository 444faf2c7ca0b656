/**
 * The leader's side of the request/reply protocol (docs/protocol.md §2): send a request to a unit and wait
 * for its one reply, with a per-unit timeout; fan a request out to several units, `null` for any unit that
 * does not answer in time or answers with an error (as Pioreactor's fan-out does for unreachable workers).
 */
import type { MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { parsePayload, ReplyMessage } from '../../shared/payloads.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics, UNIVERSAL_EXPERIMENT, COLONY_JOB } from '../../shared/topics.js';

export type UnitReply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

export class UnitRequestError extends Error {
  constructor(
    readonly unit: string,
    readonly code: string,
    message: string,
  ) {
    super(`${unit}: ${message}`);
    this.name = 'UnitRequestError';
  }
}

interface Waiting {
  resolve: (r: UnitReply | null) => void;
  timer: NodeJS.Timeout;
}

const REPLY_FILTER = `pioreactor/+/${UNIVERSAL_EXPERIMENT}/${COLONY_JOB}/reply/+`;

export class UnitRequestClient {
  /** Upper bound on any request's timeout (tests with no agents shorten every fan-out with it). */
  timeoutCapMs = Number.POSITIVE_INFINITY;
  private readonly waiting = new Map<string, Waiting>();
  private started = false;
  private readonly onMessage = (topic: string, payload: Buffer) => {
    if (!topic.includes(`/${COLONY_JOB}/reply/`)) return;
    const id = topic.slice(topic.lastIndexOf('/') + 1);
    const w = this.waiting.get(id);
    if (!w) return;
    const r = parsePayload(ReplyMessage, payload);
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (!r.ok) return w.resolve({ ok: false, code: 'bad_reply', message: r.error });
    const v = r.value;
    w.resolve(v.ok ? { ok: true, result: v.result ?? null } : { ok: false, code: v.error?.code ?? 'internal', message: v.error?.message ?? 'error' });
  };

  constructor(
    private readonly mqtt: MqttClient,
    private readonly clock: { now(): number } = Date,
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.mqtt.on('message', this.onMessage);
    await this.mqtt.subscribeAsync(REPLY_FILTER, { qos: 1 });
  }

  stop(): void {
    this.mqtt.removeListener('message', this.onMessage);
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
    this.waiting.clear();
  }

  /** One request; resolves to the reply, or null on timeout. */
  async request(unit: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 5000): Promise<UnitReply | null> {
    await this.start();
    timeoutMs = Math.min(timeoutMs, this.timeoutCapMs);
    const id = randomUUID();
    const reply = new Promise<UnitReply | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(id, { resolve, timer });
    });
    const body = JSON.stringify({ id, method, params, timestamp: formatTimestamp(this.clock.now()) });
    this.mqtt.publish(topics.request(unit, id), body, { qos: 1 });
    return reply;
  }

  /** Like `request`, but throws on an error reply or a timeout. */
  async call(unit: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 5000): Promise<unknown> {
    const r = await this.request(unit, method, params, timeoutMs);
    if (!r) throw new UnitRequestError(unit, 'timeout', `no reply to ${method} within ${timeoutMs} ms`);
    if (!r.ok) throw new UnitRequestError(unit, r.code, r.message);
    return r.result;
  }

  /** Fan out: `{unit: result | null}`, keys in the order given (null for no answer or an error). */
  async fanOut(units: string[], method: string, params: Record<string, unknown> = {}, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const replies = await Promise.all(units.map((u) => this.request(u, method, params, timeoutMs)));
    const out: Record<string, unknown> = {};
    units.forEach((u, i) => {
      const r = replies[i];
      out[u] = r && r.ok ? r.result : null;
    });
    return out;
  }
}
