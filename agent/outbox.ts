/**
 * The store-and-forward outbox (docs/protocol.md §1): every reading is written here with (epoch, seq) before it is
 * published at QoS 1, and deleted only when the leader's retained `colony/committed` ack covers it. SQLite in WAL
 * mode, one file per data dir; bounded by `[colony] outbox_max_rows`, dropping the oldest telemetry first and
 * never a dosing event.
 */
import Database from 'better-sqlite3';
import { randomId } from '../shared/ids.js';

export type OutboxKind = 'telemetry' | 'dosing';

export interface OutboxRow {
  seq: number;
  topic: string;
  /** JSON text including colony_seq and colony_epoch (colony_floor is added when sent). */
  payload: string;
  retain: boolean;
}

export interface OutboxOptions {
  path: string;
  maxRows: number;
}

export class Outbox {
  readonly epoch: string;
  private readonly db: Database.Database;
  private nextSeq: number;
  private count: number;
  private readonly maxRows: number;
  private readonly stmts: {
    insert: Database.Statement;
    ack: Database.Statement;
    after: Database.Statement;
    min: Database.Statement;
    dropOldest: Database.Statement;
    setMeta: Database.Statement;
  };
  /** Rows dropped because the outbox was full. */
  dropped = 0;

  constructor(opts: OutboxOptions) {
    this.maxRows = Math.max(1, opts.maxRows);
    this.db = new Database(opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // 512 KiB of page cache instead of SQLite's 2 MiB: the outbox appends and reads its tail, it never scans
    this.db.pragma('cache_size = -512');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL,
        retain INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'telemetry');
    `);
    const get = (k: string) => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: string } | undefined)?.value;
    this.stmts = {
      insert: this.db.prepare('INSERT INTO outbox (seq, topic, payload, retain, kind) VALUES (?, ?, ?, ?, ?)'),
      ack: this.db.prepare('DELETE FROM outbox WHERE seq <= ?'),
      after: this.db.prepare('SELECT seq, topic, payload, retain FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      min: this.db.prepare('SELECT MIN(seq) AS m, COUNT(*) AS n FROM outbox'),
      dropOldest: this.db.prepare(
        "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE kind != 'dosing' ORDER BY seq LIMIT ?)",
      ),
      setMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
    let epoch = get('epoch');
    if (!epoch) {
      epoch = randomId(16);
      this.stmts.setMeta.run('epoch', epoch);
    }
    this.epoch = epoch;
    const { m, n } = this.stmts.min.get() as { m: number | null; n: number };
    const lastSeq = Number(get('last_seq') ?? 0);
    const maxRow = (this.db.prepare('SELECT MAX(seq) AS s FROM outbox').get() as { s: number | null }).s ?? 0;
    this.nextSeq = Math.max(lastSeq, maxRow) + 1;
    this.count = n;
    this.ackedSeq = Number(get('acked_seq') ?? 0);
    if (m !== null && m - 1 > this.ackedSeq) this.ackedSeq = m - 1;
  }

  /** Highest seq acknowledged (or dropped below). */
  ackedSeq: number;

  /** Store one reading; returns the row (with its payload text) to publish. */
  add(topic: string, body: Record<string, unknown>, opts: { kind?: OutboxKind; retain?: boolean } = {}): OutboxRow {
    const seq = this.nextSeq++;
    const payload = JSON.stringify({ ...body, colony_epoch: this.epoch, colony_seq: seq });
    const retain = opts.retain ?? false;
    const tx = this.db.transaction(() => {
      this.stmts.insert.run(seq, topic, payload, retain ? 1 : 0, opts.kind ?? 'telemetry');
      this.stmts.setMeta.run('last_seq', String(seq));
    });
    tx();
    this.count++;
    if (this.count > this.maxRows) {
      const r = this.stmts.dropOldest.run(this.count - this.maxRows);
      this.count -= r.changes;
      this.dropped += r.changes;
    }
    return { seq, topic, payload, retain };
  }

  /** The leader committed everything of `epoch` up to `seq`. Returns whether anything changed. */
  ack(epoch: string, seq: number): boolean {
    if (epoch !== this.epoch || seq <= this.ackedSeq) return false;
    const r = this.stmts.ack.run(seq);
    this.count -= r.changes;
    this.ackedSeq = seq;
    this.stmts.setMeta.run('acked_seq', String(seq));
    return true;
  }

  /** Rows with seq > after, in order. */
  rowsAfter(after: number, limit = 500): OutboxRow[] {
    return (this.stmts.after.all(after, limit) as Array<{ seq: number; topic: string; payload: string; retain: number }>).map(
      (r) => ({ seq: r.seq, topic: r.topic, payload: r.payload, retain: r.retain === 1 }),
    );
  }

  /** The lowest seq still stored (everything below is acknowledged or dropped); next seq when empty. */
  floor(): number {
    const { m } = this.stmts.min.get() as { m: number | null };
    return m ?? this.nextSeq;
  }

  get size(): number {
    return this.count;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The payload as sent: the stored JSON plus `colony_floor`. */
export function withFloor(payload: string, floor: number): string {
  return `${payload.slice(0, -1)},"colony_floor":${floor}}`;
}
