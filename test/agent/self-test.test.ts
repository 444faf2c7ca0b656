/**
 * `self_test` on the sim backend with a VirtualClock: a healthy vial passes every test; each injected simulator fault
 * fails the test of its part (the setting name and an ERROR log line name it) and `all_tests_passed` is False.
 * The broker is aedes in-process; between clock steps the test only yields to the event loop (no real sleeps).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agent/agent.js';
import { SelfTest } from '../../agent/jobs/self_test.js';
import { JobError } from '../../agent/runtime/manager.js';
import { createSimBackend, type SimBackend, type SimFault } from '../../hardware/index.js';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
const TESTS = [
  'test_detect_heating_pcb',
  'test_aux_power_is_not_too_high',
  'test_ambient_light_interference',
  'test_all_positive_correlations_between_pds_and_leds',
  'test_REF_is_in_correct_range',
  'test_positive_correlation_between_temp_and_heating',
  'test_positive_correlation_between_rpm_and_stirring',
  'test_pumps_move_liquid',
];

describe('self_test on the sim backend (VirtualClock)', function () {
  this.timeout(60_000);
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
    hw = createSimBackend({ config, clock, unit: 'u8' });
    const dir = mkdtempSync(join(tmpdir(), 'colony-self-test-'));
    agent = new Agent({ unit: 'u8', hw, config, clock, log: silentLogger(), broker: { url: broker.url, reconnectPeriod: 200 }, dataDir: dir, experiment: 'exp1' });
    await agent.start([], 10_000);
  });
  afterEach(async () => agent.shutdown());

  /** Advance the virtual clock until the self test has stopped itself; returns its settings. */
  async function finish(job: SelfTest): Promise<Record<string, unknown>> {
    let done = false;
    void job.done.then(() => (done = true));
    for (let i = 0; i < 5000 && !done; i++) {
      await clock.advanceAsync(100);
      await tick();
    }
    assert.ok(done, 'self_test finished');
    return job.settingValues();
  }

  const errorLogs = () =>
    agent.outbox
      .rowsAfter(0, 100_000)
      .filter((r) => r.topic === 'pioreactor/u8/$experiment/logs/app/error')
      .map((r) => (JSON.parse(r.payload) as { message: string; task: string }))
      .filter((m) => m.task === 'self_test')
      .map((m) => m.message);

  const outputsOff = () => {
    for (const p of hw.allPwms()) assert.equal(p.dutyCycle, 0, `pin ${p.pin} off`);
    assert.deepEqual(hw.leds.all(), { A: 0, B: 0, C: 0, D: 0 });
  };

  it('passes on a healthy vial when started like --start self_test, under $experiment, and leaves every output off', async () => {
    await agent.start(['self_test']);
    const job = agent.manager.running.get('self_test') as SelfTest;
    assert.ok(job instanceof SelfTest);
    assert.equal(job.experiment, '$experiment');
    const s = await finish(job);
    for (const t of TESTS) assert.equal(s[t], true, t);
    assert.equal(s.all_tests_passed, true);
    assert.equal(s.$state, 'disconnected');
    const corr = s.correlations_between_pds_and_leds as Record<string, number>;
    assert.ok(Object.values(corr).every((r) => r >= 0.9), JSON.stringify(corr));
    assert.deepEqual(errorLogs(), []);
    outputsOff();
  });

  it('runs through jobs.run {job: "self_test"}, which answers once the tests are under way', async () => {
    const r = (await agent.requests.methods.get('jobs.run')!({ job: 'self_test' })) as { job_name: string; experiment: string; state: string };
    assert.deepEqual([r.job_name, r.experiment, r.state], ['self_test', '$experiment', 'ready']);
    const s = await finish(agent.manager.running.get('self_test') as SelfTest);
    assert.equal(s.all_tests_passed, true);
  });

  it('refuses to run while a job that drives the same outputs runs', async () => {
    await agent.manager.run('led_automation', { experiment: 'exp1' });
    await assert.rejects(agent.manager.run('self_test', { experiment: 'exp1' }), (e: unknown) => e instanceof JobError && e.code === 'conflict' && /led_automation/.test(e.message));
  });

  const cases: Array<[SimFault, string[], RegExp]> = [
    ['heater_unplugged', ['test_positive_correlation_between_temp_and_heating'], /heater/],
    ['motor_stuck', ['test_positive_correlation_between_rpm_and_stirring'], /stirring motor/],
    ['led_dead', ['test_all_positive_correlations_between_pds_and_leds', 'test_REF_is_in_correct_range'], /IR LED/],
    ['photodiode_disconnected', ['test_all_positive_correlations_between_pds_and_leds'], /photodiode channel 2/],
    ['pump_clogged', ['test_pumps_move_liquid'], /media pump.*clog/],
  ];
  for (const [fault, failing, logText] of cases) {
    it(`${fault}: fails ${failing.join(' and ')} only, with an ERROR log naming the part`, async () => {
      hw.sim.injectFault(fault);
      const job = (await agent.manager.run('self_test', { experiment: 'exp1' })) as SelfTest;
      const s = await finish(job);
      for (const t of TESTS) assert.equal(s[t], !failing.includes(t), `${t} with ${fault}`);
      assert.equal(s.all_tests_passed, false);
      const logs = errorLogs();
      for (const t of failing) assert.ok(logs.some((m) => m.startsWith(`${t} failed:`) && logText.test(m)), `log for ${t}: ${JSON.stringify(logs)}`);
      assert.ok(logs.includes('Not all self-tests passed.'));
      outputsOff();
    });
  }
});
