// The batching writer on a real SQLite file: batching by size and time (virtual clock), exact dedupe on
// (unit, epoch, seq) in any arrival order, contiguous acks, the floor, the rollup, and state across a reopen.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapMessage, type Mapped } from '../../leader/ingest/mapping.js';
import { IngestWriter } from '../../leader/ingest/writer.js';
import { openDatabase, type Db } from '../../leader/db/open.js';
import { VirtualClock } from '../../shared/clock.js';

function gr(seq: number, epoch = 'ep1', floor?: number, minute = 0): Extract<Mapped, { kind: 'rows' }> {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, minute, seq % 60)).toISOString();
  const m = mapMessage({
    topic: 'pioreactor/u1/exp1/growth_rate_calculating/growth_rate',
    payload: JSON.stringify({ growth_rate: seq / 10, timestamp: ts, colony_seq: seq, colony_epoch: epoch, ...(floor ? { colony_floor: floor } : {}) }),
    retain: false,
    now: 0,
  });
  assert.equal(m.kind, 'rows');
  return m as Extract<Mapped, { kind: 'rows' }>;
}

const count = (db: Db) => (db.prepare('SELECT count(*) AS n FROM growth_rates').get() as { n: number }).n;

describe('ingest writer', () => {
  let path: string;
  let db: Db;
  let clock: VirtualClock;
  let acks: Array<{ unit: string; epoch: string; seq: number }>;
  let writer: IngestWriter;

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'colony-writer-')), 'db.sqlite');
    db = openDatabase(path);
    clock = new VirtualClock(0);
    acks = [];
    writer = new IngestWriter(db, { clock, batchMs: 100, batchRows: 1000, onCommit: (a) => acks.push(...a) });
  });
  afterEach(() => db.close());

  it('commits after batchMs on the clock, not before', () => {
    writer.push(gr(1));
    writer.push(gr(2));
    clock.advance(99);
    assert.equal(count(db), 0);
    clock.advance(1);
    assert.equal(count(db), 2);
    assert.deepEqual(acks, [{ unit: 'u1', epoch: 'ep1', seq: 2 }]);
  });

  it('stores each seq once whatever the arrival order, and acknowledges only a contiguous prefix', () => {
    for (const s of [1, 2, 5, 6]) assert.equal(writer.push(gr(s)), true);
    writer.flush();
    assert.deepEqual(acks.at(-1), { unit: 'u1', epoch: 'ep1', seq: 2 }, 'seqs 3 and 4 are missing, so only 2 is acknowledged');
    assert.equal(writer.push(gr(5)), false, '5 is stored above the watermark: a duplicate');
    assert.equal(writer.push(gr(2)), false);
    assert.equal(writer.push(gr(4)), true);
    assert.equal(writer.push(gr(3)), true);
    writer.flush();
    assert.deepEqual(acks.at(-1), { unit: 'u1', epoch: 'ep1', seq: 6 });
    assert.equal(count(db), 6);
    assert.equal(writer.stats.duplicates, 2);
  });

  it('jumps the watermark to floor - 1 (telemetry the agent dropped)', () => {
    writer.push(gr(1));
    writer.push(gr(10, 'ep1', 8));
    writer.flush();
    assert.deepEqual(acks.at(-1), { unit: 'u1', epoch: 'ep1', seq: 7 }, 'floor 8: 2..7 are gone, but 8 and 9 may still come');
    writer.push(gr(8));
    writer.push(gr(9));
    writer.flush();
    assert.deepEqual(acks.at(-1), { unit: 'u1', epoch: 'ep1', seq: 10 });
  });

  it('re-acknowledges when only duplicates arrive (a replaying agent must learn the watermark)', () => {
    writer.push(gr(1));
    writer.flush();
    acks.length = 0;
    writer.push(gr(1));
    clock.advance(100);
    assert.deepEqual(acks, [{ unit: 'u1', epoch: 'ep1', seq: 1 }]);
  });

  it('keeps the dedupe state across a reopen of the database', () => {
    for (const s of [1, 2, 4]) writer.push(gr(s));
    writer.close();
    db.close();
    db = openDatabase(path);
    const again = new IngestWriter(db, { clock, onCommit: (a) => acks.push(...a) });
    assert.equal(again.push(gr(2)), false);
    assert.equal(again.push(gr(4)), false, 'seq 4 was stored above the watermark before the restart');
    assert.equal(again.push(gr(3)), true);
    again.flush();
    assert.deepEqual(acks.at(-1), { unit: 'u1', epoch: 'ep1', seq: 4 });
    assert.equal(count(db), 4);
  });

  it('keeps epochs apart', () => {
    writer.push(gr(1, 'a'));
    assert.equal(writer.push(gr(1, 'b')), true);
    writer.flush();
    assert.equal(count(db), 2);
  });

  it('rolls readings up per unit and minute in the same transaction', () => {
    writer.push(gr(1, 'ep1', undefined, 0));
    writer.push(gr(2, 'ep1', undefined, 0));
    writer.push(gr(3, 'ep1', undefined, 1));
    writer.flush();
    const r = db.prepare('SELECT minute, n, sum, min, max FROM colony_rollup_1m WHERE dataset = ? ORDER BY minute').all('growth_rates') as Array<{ minute: number; n: number; sum: number; min: number; max: number }>;
    const base = Date.UTC(2026, 0, 1) / 60000;
    assert.deepEqual(r.map((x) => [x.minute - base, x.n, Math.round(x.sum * 10) / 10, x.min, x.max]), [
      [0, 2, 0.3, 0.1, 0.2],
      [1, 1, 0.3, 0.3, 0.3],
    ]);
  });

  it('flushes at once when a batch reaches batchRows', async () => {
    const small = new IngestWriter(db, { clock, batchRows: 3 });
    for (let s = 1; s <= 3; s++) small.push(gr(s, 'z'));
    await new Promise((r) => setImmediate(r));
    assert.equal(count(db), 3);
  });
});
