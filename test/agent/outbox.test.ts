/**
 * The outbox (docs/protocol.md §1) and the broker-side corrections: bounded (oldest telemetry dropped first, dosing
 * events never), trimmed only by the leader's ack, replayed in order on the leader's `mqtt_to_db_streaming` going
 * `ready`; a retained `lost` on a live job's `$state` is answered with the real state. VirtualClock; aedes in-process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Agent } from '../../agent/agent.js';
import { Outbox, withFloor } from '../../agent/outbox.js';
import { createSimBackend } from '../../hardware/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
const tmp = () => mkdtempSync(join(tmpdir(), 'colony-outbox-'));

describe('Outbox', () => {
  const seqs = (o: Outbox) => o.rowsAfter(0, 1000).map((r) => r.seq);

  it('stays bounded, dropping the oldest telemetry first and never a dosing event', () => {
    const o = new Outbox({ path: join(tmp(), 'o.sqlite'), maxRows: 5 });
    o.add('t/dosing_events', { v: 1 }, { kind: 'dosing' }); // 1
    o.add('t/od', { v: 2 }); // 2
    o.add('t/dosing_events', { v: 3 }, { kind: 'dosing' }); // 3
    for (let i = 4; i <= 8; i++) o.add('t/od', { v: i });
    assert.equal(o.size, 5);
    assert.deepEqual(seqs(o), [1, 3, 6, 7, 8]);
    assert.equal(o.dropped, 3);
    // all dosing: over the bound rather than drop one
    for (let i = 0; i < 6; i++) o.add('t/dosing_events', { v: 100 + i }, { kind: 'dosing' });
    const kinds = o.rowsAfter(0, 1000).map((r) => r.topic);
    assert.equal(kinds.filter((t) => t === 't/dosing_events').length, 8);
    assert.ok(!kinds.includes('t/od'));
    o.close();
  });

  it('trims only on the ack of its own epoch, up to the acked seq, and persists across reopen', () => {
    const path = join(tmp(), 'o.sqlite');
    const o = new Outbox({ path, maxRows: 100 });
    for (let i = 1; i <= 6; i++) o.add('t/od', { v: i });
    assert.equal(o.ack('another-epoch', 6), false);
    assert.deepEqual(seqs(o), [1, 2, 3, 4, 5, 6]);
    assert.equal(o.ack(o.epoch, 4), true);
    assert.deepEqual(seqs(o), [5, 6]);
    assert.equal(o.ack(o.epoch, 3), false); // never backwards
    assert.equal(o.floor(), 5);
    const row = o.rowsAfter(4)[0];
    assert.deepEqual(JSON.parse(withFloor(row.payload, o.floor())), { v: 5, colony_epoch: o.epoch, colony_seq: 5, colony_floor: 5 });
    const epoch = o.epoch;
    o.close();
    const again = new Outbox({ path, maxRows: 100 });
    assert.equal(again.epoch, epoch);
    assert.equal(again.ackedSeq, 4);
    assert.equal(again.add('t/od', { v: 7 }).seq, 7);
    assert.deepEqual(seqs(again), [5, 6, 7]);
    again.close();
  });
});

describe('agent link against a broker (aedes, VirtualClock)', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let clock: VirtualClock;
  let agent: Agent;
  let w: MqttClient;
  let seen: Array<{ topic: string; payload: string; retain: boolean }>;

  before(async () => {
    broker = await startAedes();
  });
  after(async () => broker.stop());

  beforeEach(async () => {
    clock = new VirtualClock();
    const config = loadConfig({});
    const hw = createSimBackend({ config, clock, unit: 'u12' });
    agent = new Agent({ unit: 'u12', hw, config, clock, log: silentLogger(), broker: { url: broker.url }, dataDir: tmp(), experiment: 'exp1' });
    await agent.start([], 10_000);
    seen = [];
    w = mqtt.connect(broker.url, { protocolVersion: 4 });
    await new Promise<void>((r) => w.once('connect', () => r()));
    w.on('message', (topic, p, packet) => seen.push({ topic, payload: p.toString(), retain: packet.retain }));
    await w.subscribeAsync('pioreactor/u12/#', { qos: 1 });
  });
  afterEach(async () => {
    w.end(true);
    await agent.shutdown();
  });

  async function until(pred: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 2000 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(pred(), `waited for ${what}`);
  }
  const odSeqs = () => seen.filter((m) => m.topic === 'pioreactor/u12/exp1/od_reading/od2' && !m.retain).map((m) => JSON.parse(m.payload).colony_seq as number);

  it('replays every unacknowledged row, in order, when the leader\'s mqtt_to_db_streaming turns ready', async () => {
    const emitted: number[] = [];
    for (let i = 0; i < 10; i++) emitted.push(agent.link.emitReading('pioreactor/u12/exp1/od_reading/od2', { od: i }));
    await until(() => odSeqs().length >= 10, 'first delivery');
    assert.deepEqual(odSeqs(), emitted);
    // the leader committed the first four
    w.publish('pioreactor/u12/$experiment/colony/committed', JSON.stringify({ epoch: agent.outbox.epoch, seq: emitted[3], timestamp: new Date().toISOString() }), { qos: 1, retain: true });
    await until(() => agent.outbox.ackedSeq === emitted[3], 'ack');
    assert.deepEqual(agent.outbox.rowsAfter(0).map((r) => r.seq), emitted.slice(4));
    seen.length = 0;
    const probe = agent.link.emitReading('pioreactor/u12/exp1/od_reading/od2', { od: 99 });
    await until(() => odSeqs().includes(probe), 'probe');
    assert.deepEqual(odSeqs(), [probe]); // nothing else is sent again without a reason
    // a live transition to ready: everything above the ack again, in seq order
    seen.length = 0;
    await w.publishAsync('pioreactor/leader/$experiment/mqtt_to_db_streaming/$state', 'ready', { qos: 1 });
    await until(() => odSeqs().length >= 7, 'replay');
    assert.deepEqual(odSeqs(), [...emitted.slice(4), probe]);
  });

  it('answers a retained lost on a live job\'s $state with its real state', async () => {
    const topic = 'pioreactor/u12/$experiment/monitor/$state';
    await until(() => seen.some((m) => m.topic === topic && m.payload === 'ready'), 'monitor ready');
    await w.publishAsync(topic, 'lost', { qos: 1, retain: true });
    await until(() => seen.some((m) => m.topic === topic && m.payload === 'lost'), 'lost seen');
    seen.length = 0;
    // the correction waits a second on the agent's clock (a will racing a reconnect settles first)
    for (let i = 0; i < 12; i++) {
      await clock.advanceAsync(100);
      await tick();
    }
    await until(() => seen.some((m) => m.topic === topic && m.payload === 'ready'), 'ready republished');
    // and it is retained: a new subscriber sees ready
    const late = mqtt.connect(broker.url, { protocolVersion: 4 });
    const got = await new Promise<string>((resolve) => {
      late.on('message', (_t, p) => resolve(p.toString()));
      late.once('connect', () => void late.subscribeAsync(topic, { qos: 1 }));
    });
    late.end(true);
    assert.equal(got, 'ready');
  });
});
