/**
 * End to end against real brokers on loopback (aedes in-process and mosquitto), in real time with intervals
 * shortened by config. Assertions are on outcomes and counts, never durations.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Agent } from '../../agent/agent.js';
import { FakeBackend } from '../../agent/runtime/fake-backend.js';
import { RealClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { mosquittoPath, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';

const FAST = `[od_reading.config]
samples_per_second = 4
oversampling_count = 5
duration_between_led_off_and_od_reading = 0.01
[stirring.config]
duration_between_updates_seconds = 0.5
[temperature_automation.config]
inference_every_n_seconds = 1
samples_per_inference = 2
seconds_between_samples = 0.05
[growth_rate_calculating.config]
samples_for_od_statistics = 3
`;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'colony-agent-'));
}

class Watcher {
  readonly msgs: Array<{ topic: string; payload: string; retain: boolean }> = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, p, packet) => this.msgs.push({ topic, payload: p.toString(), retain: packet.retain }));
  }
  static async open(url: string, filter = 'pioreactor/#'): Promise<Watcher> {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 200 });
    await new Promise<void>((r) => c.once('connect', () => r()));
    await c.subscribeAsync(filter, { qos: 1 });
    return new Watcher(c);
  }
  on(topic: string) {
    return this.msgs.filter((m) => m.topic === topic);
  }
  last(topic: string): string | undefined {
    return this.on(topic).at(-1)?.payload;
  }
  async until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  close() {
    this.client.end(true);
  }
}

function spawnAgent(url: string, unit: string, jobs: string, dir: string): ChildProcess {
  writeFileSync(join(dir, 'fast.ini'), FAST);
  return spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/colony.ts', 'agent', '--unit', unit, '--broker', url, '--experiment', 'exp1', '--start', jobs, '--data-dir', dir, '--config', join(dir, 'fast.ini')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, COLONY_LOG_LEVEL: 'warn' } },
  );
}

const brokers: Array<[string, () => Promise<TestBroker>]> = [['aedes', () => startAedes()]];
if (mosquittoPath()) brokers.push(['mosquitto', () => startMosquitto()]);

for (const [bname, startBroker] of brokers) {
  describe(`agent end to end on ${bname}`, function () {
    this.timeout(60_000);
    let broker: TestBroker;
    before(async () => {
      broker = await startBroker();
    });
    after(async () => broker.stop());

    it('publishes every job topic, handles /set, $state/set and requests, and turns everything off on SIGTERM', async () => {
      const w = await Watcher.open(broker.url);
      const dir = tmp();
      const child = spawnAgent(broker.url, 'u1', 'od_reading,growth_rate_calculating,stirring,temperature_automation', dir);
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const p = 'pioreactor/u1/exp1';
      try {
        await w.until(() => w.on(`${p}/growth_rate_calculating/growth_rate`).length >= 2 && w.on(`${p}/stirring/measured_rpm`).length >= 1 && w.on(`${p}/temperature_automation/latest_event`).length >= 1, 'readings');
        for (const j of ['od_reading', 'growth_rate_calculating', 'stirring', 'temperature_automation']) assert.equal(w.last(`${p}/${j}/$state`), 'ready', j);
        assert.equal(w.last('pioreactor/u1/$experiment/monitor/$state'), 'ready');
        const od = JSON.parse(w.last(`${p}/od_reading/od2`)!);
        for (const k of ['calibrated', 'timestamp', 'angle', 'od', 'channel', 'ir_led_intensity', 'colony_seq', 'colony_epoch']) assert.ok(k in od, `od2.${k}`);
        assert.equal(od.angle, '90');
        assert.equal(od.channel, '2');
        assert.ok('2' in JSON.parse(w.last(`${p}/od_reading/ods`)!).ods);
        assert.equal(w.last(`${p}/od_reading/interval`), '0.25');
        assert.ok('growth_rate' in JSON.parse(w.last(`${p}/growth_rate_calculating/growth_rate`)!));
        assert.ok('od_filtered' in JSON.parse(w.last(`${p}/growth_rate_calculating/od_filtered`)!));
        assert.ok('measured_rpm' in JSON.parse(w.last(`${p}/stirring/measured_rpm`)!));
        assert.ok('temperature' in JSON.parse(w.last(`${p}/temperature_automation/temperature`)!));
        assert.equal(JSON.parse(w.last(`${p}/temperature_automation/latest_event`)!).event_name, 'UpdatedHeaterDC');
        assert.ok(Object.keys(JSON.parse(w.last(`${p}/pwms/dc`)!)).includes('17'));

        // /set round trip, with the INFO log
        w.client.publish(`${p}/stirring/target_rpm/set`, '600', { qos: 1 });
        await w.until(() => w.last(`${p}/stirring/target_rpm`) === '600.0', 'target_rpm 600.0');
        await w.until(() => w.on(`${p}/logs/app/info`).some((m) => JSON.parse(m.payload).message === 'Updated target_rpm from 500.0 RPM to 600.0 RPM.'), 'Updated log');
        // $state/set round trip, including the $broadcast variant
        w.client.publish(`${p}/od_reading/$state/set`, 'sleeping', { qos: 1 });
        await w.until(() => w.last(`${p}/od_reading/$state`) === 'sleeping', 'sleeping');
        w.client.publish(`pioreactor/$broadcast/exp1/od_reading/$state/set`, 'ready', { qos: 1 });
        await w.until(() => w.last(`${p}/od_reading/$state`) === 'ready', 'ready again');

        // a request, delivered twice with the same id: answered twice, run once
        const req = JSON.stringify({ id: 'r1', method: 'jobs.running', params: {}, timestamp: new Date().toISOString() });
        w.client.publish('pioreactor/u1/$experiment/colony/request/r1', req, { qos: 1 });
        w.client.publish('pioreactor/u1/$experiment/colony/request/r1', req, { qos: 1 });
        await w.until(() => w.on('pioreactor/u1/$experiment/colony/reply/r1').length >= 2, 'two replies');
        const replies = w.on('pioreactor/u1/$experiment/colony/reply/r1').map((m) => JSON.parse(m.payload));
        assert.deepEqual(replies[0], replies[1]);
        assert.equal(replies[0].ok, true);
        assert.deepEqual(replies[0].result.map((j: { job_name: string }) => j.job_name).sort(), ['growth_rate_calculating', 'monitor', 'od_reading', 'stirring', 'temperature_automation']);
        const bad = JSON.stringify({ id: 'r2', method: 'system.reboot', params: {}, timestamp: new Date().toISOString() });
        w.client.publish('pioreactor/u1/$experiment/colony/request/r2', bad, { qos: 1 });
        await w.until(() => w.on('pioreactor/u1/$experiment/colony/reply/r2').length >= 1, 'refusal');
        assert.equal(JSON.parse(w.last('pioreactor/u1/$experiment/colony/reply/r2')!).error.code, 'refused');
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0);
      await w.until(() => w.last(`${p}/stirring/$state`) === 'disconnected', 'disconnected');
      for (const j of ['od_reading', 'growth_rate_calculating', 'stirring', 'temperature_automation']) assert.equal(w.last(`${p}/${j}/$state`), 'disconnected', j);
      assert.deepEqual(JSON.parse(w.last(`${p}/pwms/dc`)!), {});
      assert.equal(w.last(`${p}/stirring/target_rpm`), ''); // non-persistent settings cleared
      w.close();
    });

    it('ignores a retained /set, and the broker publishes lost for every job of a killed agent', async () => {
      const w = await Watcher.open(broker.url);
      await w.client.publishAsync('pioreactor/u2/exp1/stirring/target_rpm/set', '700', { qos: 1, retain: true });
      const child = spawnAgent(broker.url, 'u2', 'stirring', tmp());
      await w.until(() => w.last('pioreactor/u2/exp1/stirring/$state') === 'ready', 'ready');
      await w.until(() => w.on('pioreactor/u2/exp1/stirring/measured_rpm').length >= 2, 'rpm');
      assert.equal(w.last('pioreactor/u2/exp1/stirring/target_rpm'), '500.0');
      await w.client.publishAsync('pioreactor/u2/exp1/stirring/target_rpm/set', '', { qos: 1, retain: true });
      child.kill('SIGKILL');
      await w.until(() => w.last('pioreactor/u2/exp1/stirring/$state') === 'lost', 'lost', 20_000);
      await w.until(() => w.last('pioreactor/u2/$experiment/monitor/$state') === 'lost', 'monitor lost', 20_000);
      w.close();
    });
  });
}

/** The one long test: the outage lasts COLONY_TEST_OUTAGE_SECONDS (default 60); every other test here is fast. */
const OUTAGE_S = (() => {
  const v = Number(process.env.COLONY_TEST_OUTAGE_SECONDS ?? 60);
  return Number.isFinite(v) && v > 0 ? v : 60;
})();

describe(`agent outbox across a broker outage (aedes, ${OUTAGE_S} s outage)`, function () {
  this.timeout(OUTAGE_S * 1000 + 60_000);

  it('delivers every reading afterwards, in order, none missing, and trims on the leader ack', async () => {
    let broker = await startAedes();
    const port = broker.port;
    const clock = new RealClock();
    const dir = tmp();
    writeFileSync(join(dir, 'fast.ini'), FAST);
    const config = loadConfig({ unit: join(dir, 'fast.ini') });
    const hw = new FakeBackend(clock);
    const agent = new Agent({ unit: 'u3', hw, config, clock, log: silentLogger(), broker: { url: broker.url, reconnectPeriod: 200 }, dataDir: dir, experiment: 'exp1', replayTimeoutMs: 3000 });
    const seen = new Map<number, string>();
    const order: number[] = [];
    const openLeader = async () => {
      const w = await Watcher.open(broker.url, 'pioreactor/u3/#');
      w.client.on('message', (topic, p) => {
        if (!topic.includes('/od_reading/od2')) return;
        const v = JSON.parse(p.toString());
        if (!seen.has(v.colony_seq)) order.push(v.colony_seq);
        seen.set(v.colony_seq, v.timestamp);
      });
      return w;
    };
    let w = await openLeader();
    await agent.start(['od_reading'], 10_000);
    await w.until(() => seen.size >= 4, 'readings before the outage');
    w.close();
    await broker.stop();
    const before = agent.outbox.lastSeq;
    await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
    assert.ok(agent.outbox.lastSeq > before + 5, 'readings were stored during the outage');
    broker = await startAedes(port);
    w = await openLeader();
    const lastDuringOutage = agent.outbox.lastSeq;
    await w.until(() => [...seen.keys()].some((s) => s > lastDuringOutage + 4), 'readings after the outage', 20_000);
    // every od2 reading the agent stored is delivered: compare with the outbox's own od2 rows
    const od2Rows = agent.outbox.rowsAfter(0, 100_000).filter((r) => r.topic.endsWith('/od2')).map((r) => r.seq);
    const missing = od2Rows.filter((s) => s <= lastDuringOutage && !seen.has(s));
    assert.deepEqual(missing, []);
    // first deliveries arrive in seq order
    const sortedFirst = [...order].sort((a, b) => a - b);
    assert.deepEqual(order.slice(0, sortedFirst.length), sortedFirst);
    // the leader's retained ack trims the outbox
    const ackSeq = agent.outbox.lastSeq;
    w.client.publish('pioreactor/u3/$experiment/colony/committed', JSON.stringify({ epoch: agent.outbox.epoch, seq: ackSeq, timestamp: new Date().toISOString() }), { qos: 1, retain: true });
    await w.until(() => agent.outbox.ackedSeq >= ackSeq, 'ack applied');
    assert.equal(agent.outbox.rowsAfter(0).filter((r) => r.seq <= ackSeq).length, 0);
    w.close();
    await agent.shutdown();
    await broker.stop();
  });
});

describe('a pump stops when its broker goes away', function () {
  this.timeout(30_000);
  it('turns the pump off and publishes a negative correction', async () => {
    const broker = await startAedes();
    const clock = new RealClock();
    const dir = tmp();
    const config = loadConfig({});
    const hw = new FakeBackend(clock);
    hw.vial.pumpMlPerS.media = 0.1; // a 10 s dose
    const agent = new Agent({ unit: 'u4', hw, config, clock, log: silentLogger(), broker: { url: broker.url, reconnectPeriod: 200 }, dataDir: dir, experiment: 'exp1' });
    await agent.start([], 10_000);
    const events: number[] = [];
    agent.ctx.bus.on('dosing', (_e, ev) => events.push(ev.volume_change));
    await agent.manager.run('add_media', { experiment: 'exp1', options: { ml: 1 } });
    const pwm = hw.pwmFor('media')!;
    const until = async (pred: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => pwm.dutyCycle > 0);
    assert.equal(pwm.dutyCycle, 100);
    await until(() => events.length >= 2);
    await broker.stop();
    await until(() => pwm.dutyCycle === 0);
    assert.equal(pwm.dutyCycle, 0);
    await until(() => events.some((v) => v < 0));
    const total = events.reduce((s, v) => s + v, 0);
    assert.ok(events.some((v) => v < 0), `a negative correction: ${events.join(',')}`);
    assert.ok(total < 1 && total > 0, `moved ${total} of 1 mL`);
    await agent.shutdown();
  });
});
