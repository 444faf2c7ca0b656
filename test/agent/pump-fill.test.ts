/**
 * Pumps refuse to overfill the vial (reference/pioreactor-control.md §6.1-§6.3): the 40 ml model's max fill is
 * 36 mL, read against the unit's own bookkeeping (the monitor's `bioreactor` state). Runs on the sim backend with
 * a VirtualClock (the pump's slices are clock sleeps); the broker is aedes in-process, so between clock steps
 * the test only yields to the event loop. No real sleeps, no timed assertions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agent/agent.js';
import { PumpJob } from '../../agent/jobs/pumps.js';
import { vialState } from '../../agent/jobs/monitor.js';
import { maxFillMl, type VialState } from '../../agent/math/bioreactor.js';
import { JobError } from '../../agent/runtime/manager.js';
import { createSimBackend } from '../../hardware/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

const EXP = 'exp1';
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('pumps refuse to overfill the vial (40 ml model: max fill 36 mL)', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let clock: VirtualClock;
  let agent: Agent;
  let events: Array<{ event: string; v: number }>;

  before(async () => {
    broker = await startAedes();
  });
  after(async () => broker.stop());

  beforeEach(async () => {
    clock = new VirtualClock();
    const config = loadConfig({});
    const hw = createSimBackend({ config, clock, unit: 'u7' });
    const dir = mkdtempSync(join(tmpdir(), 'colony-pump-fill-'));
    agent = new Agent({ unit: 'u7', hw, config, clock, log: silentLogger(), broker: { url: broker.url, reconnectPeriod: 200 }, dataDir: dir, experiment: EXP });
    await agent.start([], 10_000);
    assert.equal(agent.manager.running.get('monitor')?.state, 'ready');
    events = [];
    agent.ctx.bus.on('dosing', (_e, ev) => events.push({ event: ev.event, v: ev.volume_change }));
  });
  afterEach(async () => agent.shutdown());

  const setVolume = (ml: number) => {
    const s: VialState = { ...vialState(agent.ctx, EXP), current_volume_ml: ml };
    agent.ctx.store.cacheSet('bioreactor', EXP, s);
  };
  const volume = () => vialState(agent.ctx, EXP).current_volume_ml;
  const pwmDc = (fn: 'media' | 'alt_media' | 'waste') => agent.ctx.hw.pwmFor(fn)!.dutyCycle;

  /** Advance the virtual clock in 100 ms steps until `p` (which waits only on the clock) settles. */
  async function drive<T>(p: Promise<T>, maxSteps = 10_000): Promise<T> {
    let settled = false;
    void p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; i < maxSteps && !settled; i++) {
      await clock.advanceAsync(100);
      await tick();
    }
    assert.ok(settled, 'the dose finished');
    return p;
  }

  async function refused(job: string, options: Record<string, unknown>): Promise<JobError> {
    try {
      await agent.manager.run(job, { experiment: EXP, options });
    } catch (e) {
      assert.ok(e instanceof JobError, `a JobError, got ${String(e)}`);
      assert.equal(e.code, 'refused');
      return e;
    }
    assert.fail(`${job} ${JSON.stringify(options)} was not refused`);
  }

  it('uses the model max fill: 36 mL for 40 ml, 18 mL for 20 ml, lowered by max_working_volume_ml', () => {
    assert.equal(maxFillMl('pioreactor_40ml'), 36);
    assert.equal(maxFillMl('pioreactor_20ml'), 18);
    assert.equal(maxFillMl('pioreactor_40ml', 30), 30);
    assert.equal(maxFillMl('pioreactor_20ml', 30), 18);
  });

  it('refuses a dose that would reach the max fill, naming the volumes; nothing is pumped or published', async () => {
    setVolume(34);
    const e = await refused('add_media', { ml: 3 });
    assert.match(e.message, /add_media refused: adding 3 mL would take the vial from 34 mL to 37 mL, at or over the max fill of 36 mL \(pioreactor_40ml\)/);
    await refused('add_alt_media', { ml: 2 }); // 34 + 2 = 36: at the max fill is refused too (control §6.3: >=)
    await refused('add_media', { duration: 30 }); // by duration: the calibrated volume (sim rates ~0.5 mL/s) counts
    assert.equal(pwmDc('media'), 0);
    assert.equal(pwmDc('alt_media'), 0);
    assert.deepEqual(events, []);
    assert.equal(agent.manager.running.has('add_media'), false);
    assert.equal(volume(), 34);
  });

  it('answers jobs.run with the refused error code', async () => {
    setVolume(35);
    const run = agent.requests.methods.get('jobs.run')!;
    await assert.rejects(async () => run({ job: 'add_media', options: { ml: 1.5 } }), (e: JobError) => e.code === 'refused' && /max fill of 36 mL/.test(e.message));
  });

  it('doses below the limit, and the monitor bookkeeping then refuses the next dose', async () => {
    setVolume(30);
    const job = (await agent.manager.run('add_media', { experiment: EXP, options: { ml: 5 } })) as PumpJob;
    const moved = await drive(job.result!);
    assert.ok(Math.abs(moved - 5) < 1e-9, `moved ${moved}`);
    await job.done;
    assert.ok(Math.abs(volume() - 35) < 1e-9, `bookkeeping ${volume()}`);
    await refused('add_media', { ml: 1 });
    // a pump calibration doses into a beaker: neither checked nor booked
    const cal = (await agent.manager.run('add_media', { experiment: EXP, options: { ml: 2, source_of_event: 'pump_calibration' } })) as PumpJob;
    await drive(cal.result!);
    await cal.done;
    assert.ok(Math.abs(volume() - 35) < 1e-9, `bookkeeping after a calibration dose ${volume()}`);
    // waste is never refused, and it makes room again
    const waste = (await agent.manager.run('remove_waste', { experiment: EXP, options: { ml: 3 } })) as PumpJob;
    await drive(waste.result!);
    await waste.done;
    assert.ok(Math.abs(volume() - 32) < 1e-9, `bookkeeping after waste ${volume()}`);
    const again = (await agent.manager.run('add_media', { experiment: EXP, options: { ml: 1 } })) as PumpJob;
    await drive(again.result!);
    await again.done;
  });

  it('stops a dose mid-way when a concurrent dose would take the vial to the max fill', async () => {
    setVolume(30);
    const a = (await agent.manager.run('add_media', { experiment: EXP, options: { ml: 4 } })) as PumpJob;
    const b = (await agent.manager.run('add_alt_media', { experiment: EXP, options: { ml: 4 } })) as PumpJob;
    const [ma, mb] = await drive(Promise.all([a.result!, b.result!]));
    await Promise.all([a.done, b.done]); // stopping needs only I/O (the MQTT disconnect)
    assert.ok(ma + mb < 6, `moved ${ma} + ${mb}`);
    assert.ok(volume() < 36, `bookkeeping ${volume()}`);
    assert.ok(Math.abs(volume() - (30 + ma + mb)) < 1e-9);
    assert.equal(pwmDc('media'), 0);
    assert.equal(pwmDc('alt_media'), 0);
  });

  it('continuous inflow runs until just below the max fill and stops itself; refused when already full', async () => {
    setVolume(33);
    const job = (await agent.manager.run('add_media', { experiment: EXP, options: { continuously: true } })) as PumpJob;
    assert.equal(pwmDc('media'), 100);
    const moved = await drive(job.result!);
    await job.done;
    assert.equal(job.state, 'disconnected');
    assert.equal(pwmDc('media'), 0);
    const slice = events[0].v;
    assert.ok(volume() < 36 && volume() >= 36 - slice, `stopped at ${volume()} (slice ${slice})`);
    assert.ok(Math.abs(volume() - (33 + moved)) < 1e-9);
    await refused('add_media', { continuously: true });
  });

  it('continuous waste runs until stopped and publishes a correction for the unpumped part of its last slice', async () => {
    setVolume(20);
    const job = (await agent.manager.run('remove_waste', { experiment: EXP, options: { continuously: true } })) as PumpJob;
    await clock.advanceAsync(3_250);
    assert.equal(pwmDc('waste'), 100);
    const stopped = job.stop();
    const moved = await drive(job.result!);
    await stopped;
    assert.equal(pwmDc('waste'), 0);
    assert.ok(events.at(-1)!.v < 0, 'a negative correction');
    const rate = events[0].v / 0.5;
    assert.ok(Math.abs(moved - rate * 3.25) < 1e-9, `moved ${moved}, expected ${rate * 3.25}`);
  });

  it('refuses ambiguous modes', async () => {
    await assert.rejects(agent.manager.run('add_media', { experiment: EXP, options: { ml: 1, continuously: true } }), (e: JobError) => e.code === 'bad_request');
    await assert.rejects(agent.manager.run('add_media', { experiment: EXP, options: {} }), (e: JobError) => e.code === 'bad_request');
  });
});
