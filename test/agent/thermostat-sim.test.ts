/**
 * The real temperature_automation job (thermostat, model 2.0 inference) on the sim vial of each demo unit, on a
 * VirtualClock. Regression: with the sim's old thermal constants (a heavy, loosely coupled plate) the inference read
 * 2-3 ℃ below ambient while the heater warmed up (the demo published 22 -> 19.4 -> 18.4 ℃ for a 30 ℃ target), and
 * at steady state it read ~3 ℃ below the liquid, so the liquid settled at 33-34 ℃.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agent/agent.js';
import type { TemperatureAutomation } from '../../agent/jobs/temperature_automation.js';
import { createSimBackend } from '../../hardware/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
const EXP = 'exp1';
const TARGET = 30;

describe('temperature_automation thermostat on the sim vial (VirtualClock)', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startAedes();
  });
  after(async () => broker.stop());

  for (const unit of ['u1', 'u2', 'u3']) {
    it(`${unit}: a 30 ℃ thermostat never reads below ambient - 0.5 and reads within ±1 ℃ of 30 (and of the liquid) after 60 min`, async () => {
      const clock = new VirtualClock();
      const config = loadConfig({});
      const hw = createSimBackend({ config, clock, unit, speed: 60 });
      const agent = new Agent({ unit, hw, config, clock, log: silentLogger(), broker: { url: broker.url }, dataDir: mkdtempSync(join(tmpdir(), 'colony-thermo-')), experiment: EXP });
      await agent.start([], 10_000);
      try {
        let done = false;
        const p = agent.manager.run('temperature_automation', { experiment: EXP, options: { target_temperature: TARGET } }).finally(() => (done = true));
        for (let i = 0; i < 1000 && !done; i++) {
          await clock.advanceAsync(50);
          await tick();
        }
        const job = (await p) as TemperatureAutomation;
        const ambient = hw.sim.params.thermal.ambientC;
        const t0 = clock.now();
        const readings: Array<{ min: number; t: number; liquid: number }> = [];
        let last = '';
        while (clock.now() - t0 < 90 * 60_000) {
          await clock.advanceAsync(1000);
          await tick();
          const r = job.getValue('temperature') as { temperature: number; timestamp: string } | undefined;
          if (r && r.timestamp !== last) {
            last = r.timestamp;
            readings.push({ min: (clock.now() - t0) / 60_000, t: r.temperature, liquid: hw.sim.state().liquidC });
          }
        }
        const show = readings.map((r) => `${r.min.toFixed(1)}m ${r.t}/${r.liquid.toFixed(2)}`).join(', ');
        assert.ok(readings.length >= 25, `${readings.length} readings`);
        for (const r of readings) assert.ok(r.t >= ambient - 0.5, `read ${r.t} ℃ at ${r.min.toFixed(1)} min, ambient ${ambient.toFixed(2)} ℃ (inferred/liquid: ${show})`);
        const late = readings.filter((r) => r.min >= 60);
        assert.ok(late.length >= 8);
        for (const r of late) {
          assert.ok(Math.abs(r.t - TARGET) <= 1, `read ${r.t} ℃ at ${r.min.toFixed(1)} min for a ${TARGET} ℃ target (${show})`);
          assert.ok(Math.abs(r.t - r.liquid) <= 1, `read ${r.t} ℃ with the liquid at ${r.liquid.toFixed(2)} ℃ (${show})`);
        }
        const dc = Number(job.getValue('heater_duty_cycle'));
        assert.ok(dc > 5 && dc < 50, `heater at ${dc} % holds ${TARGET} ℃`);
      } finally {
        await agent.shutdown();
      }
    });
  }
});
