/**
 * The single writer: rows queue up and are committed in one transaction every ~100 ms or 250 rows
 * (Pioreactor's writer uses the same figures). In the same transaction it records which outbox sequences
 * it stored and advances the per-minute rollup, so after a crash the rows, the dedupe state and the rollup
 * agree. Batches with dosing events or automation settings commit with synchronous=FULL.
 *
 * Dedupe (docs/protocol.md §1): per (unit, epoch) a contiguous watermark W (every seq <= W is stored, or
 * below the agent's outbox floor) plus the set of seqs stored above W (arrivals out of order, e.g. a
 * QoS 1 resend overtaking a replay). A seq at or below W, or in the set, is a duplicate. W is what the
 * leader acknowledges, so the agent never trims a row that is not stored.
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

/** Dedupe state of one (unit, epoch). */
interface SeqState {
  unit: string;
  epoch: string;
  /** Every seq <= w is stored (or was dropped by the agent below its floor). */
  w: number;
  /** Seqs stored above w. */
  above: Set<number>;
}

export class IngestWriter {
  readonly stats: WriterStats = { committedRows: 0, duplicates: 0, batches: 0, failedBatches: 0 };
  private queue: RowsMapped[] = [];
  private queuedRows = 0;
  /** Working dedupe state: committed plus queued. */
  private states = new Map<string, SeqState>();
  /** Keys whose state changed since the last commit, with the seqs stored above the watermark since then. */
  private dirty = new Map<string, number[]>();
  /** Watermarks last acknowledged, per key. */
  private readonly acked = new Map<string, number>();
  /** Keys that saw a duplicate since the last flush: the agent is replaying, so acknowledge again. */
  private dupKeys = new Set<string>();
  private readonly inserts = new Map<string, Database.Statement>();
  private timer: TimerHandle | null = null;
  private flushScheduled = false;
  private closed = false;
  private readonly batchMs: number;
  private readonly batchRows: number;
  private readonly upsertWatermark: Database.Statement;
  private readonly upsertRollup: Database.Statement;
  private readonly insertSeq: Database.Statement;
  private readonly pruneSeqs: Database.Statement;

  constructor(
    private readonly db: Db,
    private readonly opts: WriterOptions,
  ) {
    this.batchMs = opts.batchMs ?? 100;
    this.batchRows = opts.batchRows ?? 250;
    this.loadStates();
    for (const [k, st] of this.states) this.acked.set(k, st.w);
    this.upsertWatermark = db.prepare(
      `INSERT INTO colony_outbox_watermarks (pioreactor_unit, epoch, seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (pioreactor_unit, epoch) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at`,
    );
    this.insertSeq = db.prepare('INSERT OR IGNORE INTO colony_outbox_seqs (pioreactor_unit, epoch, seq) VALUES (?, ?, ?)');
    this.pruneSeqs = db.prepare('DELETE FROM colony_outbox_seqs WHERE pioreactor_unit = ? AND epoch = ? AND seq <= ?');
    this.upsertRollup = db.prepare(
      `INSERT INTO colony_rollup_1m (dataset, experiment, pioreactor_unit, series, minute, n, sum, min, max, last, last_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dataset, experiment, pioreactor_unit, series, minute) DO UPDATE SET
         n = n + excluded.n, sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max),
         last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
         last_ts = max(last_ts, excluded.last_ts)`,
    );
  }

  /** Rebuild the dedupe state from the database (at start, and after a failed commit). */
  private loadStates(): void {
    const states = new Map<string, SeqState>();
    for (const r of this.db.prepare('SELECT pioreactor_unit AS unit, epoch, seq FROM colony_outbox_watermarks').all() as Array<{ unit: string; epoch: string; seq: number }>) {
      states.set(key(r.unit, r.epoch), { unit: r.unit, epoch: r.epoch, w: r.seq, above: new Set() });
    }
    for (const r of this.db.prepare('SELECT pioreactor_unit AS unit, epoch, seq FROM colony_outbox_seqs').all() as Array<{ unit: string; epoch: string; seq: number }>) {
      const k = key(r.unit, r.epoch);
      let st = states.get(k);
      if (!st) states.set(k, (st = { unit: r.unit, epoch: r.epoch, w: 0, above: new Set() }));
      if (r.seq > st.w) st.above.add(r.seq);
    }
    this.states = states;
    this.dirty = new Map();
  }

  /** The contiguous watermark for this unit and epoch (committed or queued). */
  watermark(unit: string, epoch: string): number {
    return this.states.get(key(unit, epoch))?.w ?? 0;
  }

  /** Record an outbox seq; false when it is a duplicate. */
  private accept(unit: string, epoch: string, seq: number, floor: number | undefined): boolean {
    const k = key(unit, epoch);
    let st = this.states.get(k);
    if (!st) this.states.set(k, (st = { unit, epoch, w: 0, above: new Set() }));
    if (seq <= st.w || st.above.has(seq)) return false;
    st.above.add(seq);
    if (floor !== undefined && floor - 1 > st.w) {
      st.w = floor - 1;
      for (const s of st.above) if (s <= st.w) st.above.delete(s);
    }
    while (st.above.has(st.w + 1)) {
      st.above.delete(st.w + 1);
      st.w++;
    }
    const added = this.dirty.get(k) ?? [];
    if (seq > st.w) added.push(seq);
    this.dirty.set(k, added);
    return true;
  }

  /** Queue one mapped message. Returns false when it is a duplicate of a stored or queued one. */
  push(m: RowsMapped): boolean {
    if (this.closed) throw new Error('writer is closed');
    if (m.outbox && !this.accept(m.unit, m.outbox.epoch, m.outbox.seq, m.outbox.floor)) {
      this.stats.duplicates++;
      this.dupKeys.add(key(m.unit, m.outbox.epoch));
      if (!this.timer) this.timer = this.opts.clock.setTimeout(() => this.flushSafely(), this.batchMs);
      return false;
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
    if (this.queue.length === 0) {
      this.publishAcks([]);
      return 0;
    }
    const batch = this.queue;
    const dirty = [...this.dirty].map(([k, added]) => {
      const st = this.states.get(k)!;
      return { unit: st.unit, epoch: st.epoch, w: st.w, added: added.filter((s) => s > st.w) };
    });
    this.queue = [];
    this.queuedRows = 0;
    this.dirty = new Map();
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
      for (const st of dirty) {
        this.upsertWatermark.run(st.unit, st.epoch, st.w, nowTs);
        this.pruneSeqs.run(st.unit, st.epoch, st.w);
        for (const s of st.added) this.insertSeq.run(st.unit, st.epoch, s);
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
      // Nothing of the batch is stored: go back to the database's dedupe state (dropping whatever else is
      // queued, since its seqs were counted against the lost state), so the agents' replays are accepted.
      this.stats.failedBatches++;
      this.queue = [];
      this.queuedRows = 0;
      this.loadStates();
      throw e;
    }
    this.stats.committedRows += rowCount;
    this.stats.batches++;
    this.publishAcks(dirty.map((st) => key(st.unit, st.epoch)), rowCount);
    return rowCount;
  }

  /**
   * Acknowledge the committed watermark of every key that advanced, and of every key that saw a duplicate
   * (a replaying agent must learn the watermark even when nothing new was stored). Called only when nothing
   * is queued, so the working state is the committed state.
   */
  private publishAcks(advanced: string[], rowCount = 0): void {
    const acks: Array<{ unit: string; epoch: string; seq: number }> = [];
    const keys = new Set([...advanced, ...this.dupKeys]);
    for (const k of keys) {
      const st = this.states.get(k);
      if (!st) continue;
      if (st.w > (this.acked.get(k) ?? 0) || this.dupKeys.has(k)) {
        this.acked.set(k, st.w);
        acks.push({ unit: st.unit, epoch: st.epoch, seq: st.w });
      }
    }
    this.dupKeys = new Set();
    if (acks.length && this.opts.onCommit) this.opts.onCommit(acks, rowCount);
  }

  /** Flush what is queued and stop accepting rows. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
