/**
 * Job classes on the sim backend with a VirtualClock (aedes in-process carries the jobs' MQTT; between clock steps
 * the tests only yield to the event loop). No real sleeps, no timed assertions: outcomes are read off the simulated
 * vial and the virtual time of recorded writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agent/agent.js';
import type { LedAutomation } from '../../agent/jobs/led_automation.js';
import type { Stirring } from '../../agent/jobs/stirring.js';
import type { TemperatureAutomation } from '../../agent/jobs/temperature_automation.js';
import { createSimBackend, type SimBackend } from '../../hardware/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
const EXP = 'exp1';

describe('job classes on the sim (VirtualClock)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let clock: VirtualClock;
  let agent: Agent;
  let hw: SimBackend;

  before(async () => {
    broker = await startAedes();
  });
  after(async () => broker.stop());

  beforeEach(async () => {
    clock = new VirtualClock();
    const config = loadConfig({});
    hw = createSimBackend({ config, clock, unit: 'u11' });
    agent = new Agent({ unit: 'u11', hw, config, clock, log: silentLogger(), broker: { url: broker.url }, dataDir: mkdtempSync(join(tmpdir(), 'colony-jobs-')), experiment: EXP });
    await agent.start([], 10_000);
  });
  afterEach(async () => agent.shutdown());

  /** Advance virtual time by `ms` in `step` ms steps, letting async job code run between steps. */
  async function run(ms: number, step = 1000): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      await clock.advanceAsync(step);
      await tick();
    }
  }

  /** Start a job whose start-up waits on the clock (a stirring kick, plate reads): step the clock until it is ready. */
  async function start<T>(job: string, options: Record<string, unknown> = {}): Promise<T> {
    let done = false;
    const p = agent.manager.run(job, { experiment: EXP, options }).finally(() => (done = true));
    for (let i = 0; i < 1000 && !done; i++) {
      await clock.advanceAsync(50);
      await tick();
    }
    return (await p) as T;
  }

  /** Record every duty-cycle write to a PWM as [virtual ms since start, dc]. */
  function recordPwm(fn: 'heating' | 'stirring'): Array<[number, number]> {
    const pwm = hw.pwmFor(fn)!;
    const t0 = clock.now();
    const writes: Array<[number, number]> = [];
    const orig = pwm.setDutyCycle.bind(pwm);
    pwm.setDutyCycle = async (dc: number) => {
      writes.push([clock.now() - t0, dc]);
      await orig(dc);
    };
    return writes;
  }

  describe('stirring', () => {
    it('closes the loop: the sim motor converges to the target RPM, and to a new target after /set', async () => {
      const job = await start<Stirring>('stirring');
      const rpms: number[] = [];
      const orig = hw.rpm.measure.bind(hw.rpm);
      hw.rpm.measure = async (w: number) => {
        const r = await orig(w);
        rpms.push(r);
        return r;
      };
      await run(40 * 60_000);
      const tail = (n: number) => rpms.slice(-n).reduce((s, x) => s + x, 0) / n;
      assert.ok(rpms.length > 50, `${rpms.length} RPM polls`);
      assert.ok(Math.abs(tail(5) - 500) < 10, `measured ${tail(5)} RPM for a 500 RPM target (first ${rpms[0]})`);
      // (the bar itself runs faster than measured: the sim integrates revolutions on a 1 s grid, so a 1.2 s RPM
      // window counts 1 s of revolutions; the loop regulates what the hall counter reports)
      assert.ok(hw.sim.state().rpm > 400, `sim bar at ${hw.sim.state().rpm} RPM`);
      await job.handleSet('target_rpm', '800');
      await run(40 * 60_000);
      assert.ok(Math.abs(tail(5) - 800) < 16, `measured ${tail(5)} RPM for an 800 RPM target`);
      assert.equal(job.getValue('target_rpm'), 800);
    });
  });

  describe('temperature_automation', () => {
    it('turns the heater off for each sampling window, restores it after, and the thermostat warms the liquid toward the target', async () => {
      const writes = recordPwm('heating');
      const cfg = agent.ctx.config['temperature_automation.config'];
      const windowMs = (cfg.samples_per_inference - 1) * cfg.seconds_between_samples * 1000;
      const c0 = hw.sim.state().liquidC;
      const target = 32;
      const job = await start<TemperatureAutomation>('temperature_automation', { target_temperature: target });
      await run(3 * 3600_000, 1000);
      // sampling windows: a write of 0 after a positive duty, the next write no earlier than the window's end,
      // and that write restores the duty cycle from before the window
      let windows = 0;
      let dc = 0;
      for (let i = 0; i < writes.length; i++) {
        const [t, v] = writes[i];
        if (v === 0 && dc > 0) {
          const next = writes.slice(i + 1).find(([, w]) => w !== 0);
          if (!next) break;
          assert.ok(next[0] - t >= windowMs, `heater back on after ${next[0] - t} ms, window ${windowMs} ms`);
          assert.equal(next[1], dc, 'the first write after the window restores the previous duty cycle');
          windows++;
        }
        dc = v;
      }
      assert.ok(windows >= 40, `${windows} sampling windows with the heater on before`);
      const end = hw.sim.state().liquidC;
      const inferred = (job.getValue('temperature') as { temperature: number }).temperature;
      // the thermostat regulates the inferred temperature; the sim's liquid follows it within a few degrees
      assert.ok(end - c0 > (target - c0) / 2 && end < target + 5, `liquid ${c0.toFixed(2)} -> ${end.toFixed(2)} ℃ for ${target} ℃ (inferred ${inferred})`);
      assert.ok(Math.abs(inferred - target) < 1.5, `inferred ${inferred} ℃ for ${target} ℃`);
      const latest = job.getValue('latest_event') as { event_name: string };
      assert.equal(latest.event_name, 'UpdatedHeaterDC');
    });
  });

  describe('led_automation light_dark_cycle', () => {
    it('switches D and C at each phase boundary, and follows a duration change', async () => {
      const t0 = clock.now();
      const changes: Array<[number, number, number]> = [];
      const orig = hw.leds.set.bind(hw.leds);
      hw.leds.set = async (ch, v) => {
        if (ch === 'D') changes.push([(clock.now() - t0) / 60_000, v, 0]);
        await orig(ch, v);
      };
      const job = await start<LedAutomation>('led_automation', { light_intensity: 20, light_duration_minutes: 10, dark_duration_minutes: 5 });
      assert.deepEqual([hw.leds.get('D'), hw.leds.get('C')], [20, 20]);
      await run(31 * 60_000, 10_000);
      const onOff = changes.filter((c, i) => i === 0 || c[1] !== changes[i - 1][1]).map(([t, v]) => [Math.round(t * 100) / 100, v]);
      assert.deepEqual(onOff, [[0, 20], [10, 0], [15, 20], [25, 0], [30, 20]]);
      assert.deepEqual([hw.leds.get('D'), hw.leds.get('C')], [20, 20]);
      // a longer dark phase: at 31 min (1 min into light 30-40) nothing changes until light ends at 40
      await job.handleSet('dark_duration_minutes', '20');
      changes.length = 0;
      await run(20 * 60_000, 10_000);
      assert.deepEqual(changes.map(([t, v]) => [Math.round(t * 100) / 100, v]), [[40, 0]]);
      const latest = job.getValue('latest_event') as { event_name: string; message: string };
      assert.equal(latest.event_name, 'ChangedLedIntensity');
      await job.stop();
      assert.deepEqual([hw.leds.get('D'), hw.leds.get('C')], [0, 0]);
    });
  });
});
