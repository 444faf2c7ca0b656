/**
 * The single writer: rows queue up and are committed in one transaction every ~100 ms or 250 rows
 * (Pioreactor's writer uses the same figures). In the same transaction it advances each
 * (unit, epoch) outbox watermark and the per-minute rollup, so after a crash the rows, the dedupe key
 * and the rollup agree. Batches with dosing events or automation settings commit with synchronous=FULL.
 */
import type Database from 'better-sqlite3';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import type { Db } from '../db/open.js';
import type { Mapped, Row } from './mapping.js';

type RowsMapped = Extract<Mapped, { kind: 'rows' }>;

export interface WriterOptions {
  clock: Clock;
  batchMs?: number;
  batchRows?: number;
  /** Called after each commit with the units whose highest stored outbox seq advanced. */
  onCommit?: (acks: Array<{ unit: string; epoch: string; seq: number }>, rows: number) => void;
  onError?: (err: Error) => void;
}

export interface WriterStats {
  committedRows: number;
  duplicates: number;
  batches: number;
  failedBatches: number;
}

const key = (unit: string, epoch: string) => `${unit}\u0000${epoch}`;

export class IngestWriter {
  readonly stats: WriterStats = { committedRows: 0, duplicates: 0, batches: 0, failedBatches: 0 };
  private queue: RowsMapped[] = [];
  private queuedRows = 0;
  private readonly committed = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  private readonly inserts = new Map<string, Database.Statement>();
  private timer: TimerHandle | null = null;
  private flushScheduled = false;
  private closed = false;
  private readonly batchMs: number;
  private readonly batchRows: number;
  private readonly upsertWatermark: Database.Statement;
  private readonly upsertRollup: Database.Statement;

  constructor(
    private readonly db: Db,
    private readonly opts: WriterOptions,
  ) {
    this.batchMs = opts.batchMs ?? 100;
    this.batchRows = opts.batchRows ?? 250;
    for (const r of db.prepare('SELECT pioreactor_unit AS unit, epoch, seq FROM colony_outbox_watermarks').all() as Array<{ unit: string; epoch: string; seq: number }>) {
      this.committed.set(key(r.unit, r.epoch), r.seq);
    }
    this.upsertWatermark = db.prepare(
      `INSERT INTO colony_outbox_watermarks (pioreactor_unit, epoch, seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (pioreactor_unit, epoch) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at`,
    );
    this.upsertRollup = db.prepare(
      `INSERT INTO colony_rollup_1m (dataset, experiment, pioreactor_unit, series, minute, n, sum, min, max, last, last_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dataset, experiment, pioreactor_unit, series, minute) DO UPDATE SET
         n = n + excluded.n, sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max),
         last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
         last_ts = max(last_ts, excluded.last_ts)`,
    );
  }

  /** Highest outbox seq stored (or queued) for this unit and epoch. */
  watermark(unit: string, epoch: string): number {
    const k = key(unit, epoch);
    return Math.max(this.pending.get(k) ?? 0, this.committed.get(k) ?? 0);
  }

  /** Queue one mapped message. Returns false when it is a duplicate of a stored or queued one. */
  push(m: RowsMapped): boolean {
    if (this.closed) throw new Error('writer is closed');
    if (m.outbox) {
      if (m.outbox.seq <= this.watermark(m.unit, m.outbox.epoch)) {
        this.stats.duplicates++;
        return false;
      }
      this.pending.set(key(m.unit, m.outbox.epoch), m.outbox.seq);
    }
    this.queue.push(m);
    this.queuedRows += m.rows.length;
    if (this.queuedRows >= this.batchRows) this.scheduleImmediateFlush();
    else if (!this.timer) this.timer = this.opts.clock.setTimeout(() => this.flushSafely(), this.batchMs);
    return true;
  }

  get queuedCount(): number {
    return this.queuedRows;
  }

  private scheduleImmediateFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushSafely();
    });
  }

  private flushSafely(): void {
    try {
      this.flush();
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
  }

  private statementFor(row: Row): Database.Statement {
    const cols = Object.keys(row.values);
    const sig = `${row.table}(${cols.join(',')})`;
    let st = this.inserts.get(sig);
    if (!st) {
      st = this.db.prepare(`INSERT INTO ${row.table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      this.inserts.set(sig, st);
    }
    return st;
  }

  /** Commit everything queued, now, in one transaction. */
  flush(): number {
    this.opts.clock.clear(this.timer);
    this.timer = null;
    if (this.queue.length === 0) return 0;
    const batch = this.queue;
    const marks = new Map(this.pending);
    this.queue = [];
    this.queuedRows = 0;
    this.pending.clear();
    const nowTs = formatTimestamp(this.opts.clock.now());
    const durable = batch.some((m) => m.durable);
    let rowCount = 0;
    const write = () => {
      const roll = new Map<string, { a: [string, string, string, string, number]; n: number; sum: number; min: number; max: number; last: number; lastTs: string }>();
      for (const m of batch) {
        for (const row of m.rows) {
          this.statementFor(row).run(...Object.values(row.values));
          rowCount++;
        }
        for (const p of m.rollup) {
          const minute = Math.floor(Date.parse(p.timestamp) / 60_000);
          const k = `${p.dataset}\u0000${m.experiment}\u0000${m.unit}\u0000${p.series}\u0000${minute}`;
          const agg = roll.get(k);
          if (!agg) roll.set(k, { a: [p.dataset, m.experiment, m.unit, p.series, minute], n: 1, sum: p.value, min: p.value, max: p.value, last: p.value, lastTs: p.timestamp });
          else {
            agg.n++;
            agg.sum += p.value;
            agg.min = Math.min(agg.min, p.value);
            agg.max = Math.max(agg.max, p.value);
            if (p.timestamp >= agg.lastTs) {
              agg.last = p.value;
              agg.lastTs = p.timestamp;
            }
          }
        }
      }
      for (const g of roll.values()) this.upsertRollup.run(...g.a, g.n, g.sum, g.min, g.max, g.last, g.lastTs);
      for (const [k, seq] of marks) {
        const [unit, epoch] = k.split('\u0000');
        this.upsertWatermark.run(unit, epoch, seq, nowTs);
      }
    };
    try {
      if (durable) {
        this.db.pragma('synchronous = FULL');
        try {
          this.db.transaction(write)();
        } finally {
          this.db.pragma('synchronous = NORMAL');
        }
      } else {
        this.db.transaction(write)();
      }
    } catch (e) {
      // Nothing of the batch is stored; forget its watermarks so the agents' replays are accepted.
      this.stats.failedBatches++;
      throw e;
    }
    for (const [k, seq] of marks) this.committed.set(k, Math.max(seq, this.committed.get(k) ?? 0));
    this.stats.committedRows += rowCount;
    this.stats.batches++;
    if (this.opts.onCommit) {
      const acks = [...marks].map(([k, seq]) => {
        const [unit, epoch] = k.split('\u0000');
        return { unit, epoch, seq: this.committed.get(k) ?? seq };
      });
      this.opts.onCommit(acks, rowCount);
    }
    return rowCount;
  }

  /** Flush what is queued and stop accepting rows. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
