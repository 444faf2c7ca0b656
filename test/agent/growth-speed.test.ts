/**
 * The growth-rate job on a sped-up sim (`--speed 60`, as `npm start` runs): the Kalman filter runs in biological
 * hours and publishes the rate in clock time, so it follows the culture's actual ln(OD) slope. (Before, its process
 * noise, tuned for biological rates, left it at 0.07 /h while the sped-up culture grew at ~30 /h.) VirtualClock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agent/agent.js';
import { createSimBackend } from '../../hardware/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

describe('growth rate at --speed 60 (VirtualClock)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  before(async () => (broker = await startAedes()));
  after(async () => broker.stop());

  it('tracks the sped-up culture and publishes the rate in clock time', async () => {
    const speed = 60;
    const clock = new VirtualClock();
    const config = loadConfig({
      overrides: {
        'growth_rate_calculating.config': { growth_rate_max: String(3 * speed), growth_rate_min: String(-speed) },
        // Fewer ADC sweeps per reading keep the virtual-clock run cheap; the filter sees the same OD stream.
        'od_reading.config': { oversampling_count: '5' },
      },
    });
    const hw = createSimBackend({ config, clock, unit: 'u12', speed });
    const agent = new Agent({ unit: 'u12', hw, config, clock, log: silentLogger(), broker: { url: broker.url }, dataDir: mkdtempSync(join(tmpdir(), 'colony-gr-')), experiment: 'e', speed });
    await agent.start([], 10_000);
    try {
      const startJob = async (name: string) => {
        let done = false;
        const p = agent.manager.run(name, { experiment: 'e', options: {} }).finally(() => (done = true));
        for (let i = 0; i < 1000 && !done; i++) {
          await clock.advanceAsync(50);
          await new Promise<void>((r) => setImmediate(r));
        }
        await p;
      };
      await startJob('od_reading');
      await startJob('growth_rate_calculating');
      const samples: Array<[number, number]> = [];
      // 10 minutes of clock time = 10 biological hours: lag, then exponential growth.
      for (let s = 0; s < 120; s++) {
        await clock.advanceAsync(5000);
        await new Promise<void>((r) => setImmediate(r));
        samples.push([clock.now(), hw.sim.state().od]);
      }
      const gr = agent.manager.running.get('growth_rate_calculating')!.getValue('growth_rate') as { growth_rate: number };
      // The culture's own ln(OD) slope over the last 2 minutes, per clock hour.
      const last = samples.slice(-24);
      const slope = (Math.log(last[last.length - 1][1]) - Math.log(last[0][1])) / ((last[last.length - 1][0] - last[0][0]) / 3_600_000);
      assert.ok(slope > 5, `the sped-up culture grows fast (${slope.toFixed(1)} /h)`);
      // At x60 the filter sees 60 times fewer readings per biological hour, so it lags the acceleration (here it
      // reads about half the slope); before the fix it read 0.002 of it.
      const ratio = gr.growth_rate / slope;
      assert.ok(ratio > 0.4 && ratio < 1.6, `published ${gr.growth_rate.toFixed(2)} /h vs actual ${slope.toFixed(2)} /h`);
    } finally {
      await agent.shutdown();
    }
  });
});
