/**
 * Request error codes for jobs.run (docs/protocol.md §2-§3): validation problems (unknown option, invalid option
 * value, unknown automation, a start the unit's config or calibrations cannot satisfy) are `bad_request`; an
 * unexpected failure while starting is `internal`. Sim backend, VirtualClock, aedes in-process.
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

describe('jobs.run error codes', function () {
  this.timeout(20_000);
  let broker: TestBroker;
  let agent: Agent;
  let replies: Map<string, { ok: boolean; error?: { code: string; message: string } }>;

  before(async () => {
    broker = await startAedes();
    const clock = new VirtualClock();
    const config = loadConfig({});
    const hw = createSimBackend({ config, clock, unit: 'u10' });
    agent = new Agent({ unit: 'u10', hw, config, clock, log: silentLogger(), broker: { url: broker.url }, dataDir: mkdtempSync(join(tmpdir(), 'colony-req-')), experiment: 'exp1' });
    await agent.start([], 10_000);
    replies = new Map();
    agent.link.publish = (topic: string, payload: string) => {
      replies.set(topic.split('/').pop()!, JSON.parse(payload));
    };
  });
  after(async () => {
    await agent.shutdown();
    await broker.stop();
  });

  let n = 0;
  async function request(params: Record<string, unknown>) {
    const id = `r${++n}`;
    await agent.requests.handle(`pioreactor/u10/$experiment/colony/request/${id}`, Buffer.from(JSON.stringify({ id, method: 'jobs.run', params, timestamp: new Date().toISOString() })));
    return replies.get(id)!;
  }

  const badRequests: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown option', { job: 'stirring', options: { nope: 1 } }, /no option "nope"/],
    ['a non-numeric value', { job: 'stirring', options: { target_rpm: 'fast' } }, /expected a number/],
    ['an unknown temperature automation', { job: 'temperature_automation', options: { automation_name: 'sauna' } }, /unknown temperature automation "sauna"/],
    ['an unknown led automation', { job: 'led_automation', options: { automation_name: 'disco' } }, /unknown led automation "disco"/],
    ['an LED intensity above 100 %', { job: 'led_automation', options: { light_intensity: 150 } }, /light_intensity must be 0-100/],
    ['a zero od_reading interval', { job: 'od_reading', options: { interval: 0 } }, /interval must be a positive/],
    ['an IR intensity that is neither auto nor 0-100', { job: 'od_reading', options: { ir_led_intensity: 'bright' } }, /ir_led_intensity must be/],
    ['a pump given both ml and duration', { job: 'add_media', options: { ml: 1, duration: 1 } }, /exactly one of ml, duration or continuously/],
  ];
  for (const [what, params, msg] of badRequests) {
    it(`answers bad_request for ${what}, and leaves no job running`, async () => {
      const r = await request(params);
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'bad_request', JSON.stringify(r));
      assert.match(r.error!.message, msg);
      assert.equal(agent.manager.running.has(String(params.job)), false);
    });
  }

  it('answers internal for an unexpected failure while starting', async () => {
    const hw = agent.ctx.hw as { pwmFor: (fn: string) => unknown };
    const orig = hw.pwmFor;
    hw.pwmFor = () => {
      throw new Error('i2c bus went away');
    };
    try {
      const r = await request({ job: 'stirring' });
      assert.equal(r.error?.code, 'internal');
      assert.match(r.error!.message, /i2c bus went away/);
    } finally {
      hw.pwmFor = orig;
    }
  });

  it('answers not_found for an unknown job and bad_request for unknown params', async () => {
    assert.equal((await request({ job: 'warp_drive' })).error?.code, 'not_found');
    assert.equal((await request({ job: 'stirring', speed: 3 })).error?.code, 'bad_request');
  });
});
