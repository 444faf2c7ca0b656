/**
 * Ingest: the leader's own MQTT connection subscribes to every mapped topic, maps each message to rows,
 * and hands them to the single writer. After each commit it publishes, per unit, the highest outbox
 * sequence stored (retained, docs/protocol.md §1). A malformed payload is logged with its topic and skipped.
 */
import type { Clock } from '../../shared/clock.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics } from '../../shared/topics.js';
import type { Db } from '../db/open.js';
import { INGEST_SUBSCRIPTIONS, mapMessage, outboxOfUnmapped } from './mapping.js';
import { IngestWriter } from './writer.js';
import type { IngestSource } from './source.js';

export interface IngestStats {
  received: number;
  skipped: number;
  malformed: number;
}

export class IngestService {
  readonly writer: IngestWriter;
  readonly stats: IngestStats = { received: 0, skipped: 0, malformed: 0 };
  private readonly lastWarn = new Map<string, number>();

  constructor(
    db: Db,
    private readonly source: IngestSource,
    private readonly clock: Clock,
    private readonly log: ColonyLogger,
    opts: { batchMs?: number; batchRows?: number } = {},
  ) {
    this.writer = new IngestWriter(db, {
      clock,
      batchMs: opts.batchMs,
      batchRows: opts.batchRows,
      onCommit: (acks) => this.publishAcks(acks),
      onError: (err) => this.log.error({ err: err.message }, 'ingest: a batch failed to commit; agents will replay it'),
    });
  }

  async start(): Promise<void> {
    await this.source.start(INGEST_SUBSCRIPTIONS, (t, p, r) => this.handle(t, p, r));
  }

  handle(topic: string, payload: Buffer, retain: boolean): void {
    this.stats.received++;
    const m = mapMessage({ topic, payload, retain, now: this.clock.now() });
    if (m.kind !== 'rows') {
      if (m.kind === 'skip') this.stats.skipped++;
      else {
        this.stats.malformed++;
        this.warnRateLimited(topic, m.reason);
      }
      // A sequenced message with no row still counts as received, so the unit's watermark has no gap.
      const o = retain ? null : outboxOfUnmapped(topic, payload);
      if (o) this.writer.push({ kind: 'rows', unit: o.unit, experiment: o.experiment, rows: [], rollup: [], outbox: o.outbox, durable: false });
      return;
    }
    try {
      this.writer.push(m);
    } catch (e) {
      this.log.error({ topic, err: (e as Error).message }, 'ingest: could not queue a message');
    }
  }

  private warnRateLimited(topic: string, reason: string): void {
    const now = this.clock.now();
    const last = this.lastWarn.get(topic) ?? 0;
    if (now - last < 10_000) return;
    this.lastWarn.set(topic, now);
    this.log.warn({ topic, reason }, `ingest: skipped a malformed payload on ${topic}: ${reason}`);
  }

  private publishAcks(acks: Array<{ unit: string; epoch: string; seq: number }>): void {
    for (const a of acks) {
      const payload = JSON.stringify({ epoch: a.epoch, seq: a.seq, timestamp: formatTimestamp(this.clock.now()) });
      this.source.publish(topics.committed(a.unit), payload, true).catch((err: Error) => {
        this.log.warn({ unit: a.unit, err: err.message }, 'ingest: could not publish the commit ack');
      });
    }
  }

  async stop(): Promise<void> {
    await this.source.stop();
    this.writer.close();
  }
}
