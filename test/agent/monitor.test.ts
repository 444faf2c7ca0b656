/**
 * The monitor on the sim backend (VirtualClock, aedes in-process): `voltage_on_pwm_rail` is the HAT's 5 V rail as
 * the backend reports it (no second divider on any backend).
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

describe('monitor: voltage_on_pwm_rail on the sim', function () {
  this.timeout(20_000);
  let broker: TestBroker;
  before(async () => {
    broker = await startAedes();
  });
  after(async () => broker.stop());

  it('publishes ~5 V, with no low-voltage warning', async () => {
    const clock = new VirtualClock();
    const config = loadConfig({});
    const hw = createSimBackend({ config, clock, unit: 'u9' });
    const agent = new Agent({ unit: 'u9', hw, config, clock, log: silentLogger(), broker: { url: broker.url }, dataDir: mkdtempSync(join(tmpdir(), 'colony-mon-')), experiment: 'exp1' });
    try {
      await agent.start([], 10_000);
      const v = agent.manager.running.get('monitor')!.getValue('voltage_on_pwm_rail') as { voltage: number };
      assert.ok(Math.abs(v.voltage - 5) < 0.2, `voltage ${v.voltage}`);
      const warnings = agent.outbox.rowsAfter(0).filter((r) => r.topic.endsWith('/logs/app/warning'));
      assert.deepEqual(warnings, []);
    } finally {
      await agent.shutdown();
    }
  });
});
