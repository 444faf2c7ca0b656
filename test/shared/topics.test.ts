// The topic parser accepts every topic shape of pioreactor-mqtt.md §1 and rejects others with a reason.
import assert from 'node:assert/strict';
import { parseTopic, topics, type ParsedTopic } from '../../shared/topics.js';

function ok(t: string): ParsedTopic {
  const r = parseTopic(t);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.topic;
}

describe('topic tree (pioreactor-mqtt.md §1)', () => {
  it('parses a published setting and $state', () => {
    const s = ok('pioreactor/pio01/exp1/stirring/target_rpm');
    assert.deepEqual(s, { kind: 'setting', unit: 'pio01', experiment: 'exp1', job: 'stirring', setting: 'target_rpm', broadcast: false, testing: false });
    assert.equal(ok('pioreactor/pio01/exp1/stirring/$state').kind, 'state');
  });

  it('parses /set and $state/set commands, including the $broadcast unit', () => {
    const set = ok('pioreactor/pio01/exp1/stirring/target_rpm/set');
    assert.equal(set.kind, 'set');
    const b = ok('pioreactor/$broadcast/exp1/stirring/$state/set');
    assert.equal(b.kind, 'state_set');
    assert.equal(b.broadcast, true);
  });

  it('parses logs, dosing events, LED events, leds/intensity, pwms/dc and bioreactor values', () => {
    const log = ok('pioreactor/pio01/exp1/logs/app/notice');
    assert.equal(log.kind, 'log');
    if (log.kind === 'log') assert.equal(log.level, 'notice');
    assert.equal(ok('pioreactor/pio01/exp1/dosing_events').kind, 'dosing_events');
    assert.equal(ok('pioreactor/pio01/exp1/led_change_events').kind, 'led_change_events');
    assert.equal(ok('pioreactor/pio01/exp1/leds/intensity').kind, 'leds_intensity');
    assert.equal(ok('pioreactor/pio01/exp1/pwms/dc').kind, 'pwms_dc');
    const b = ok('pioreactor/pio01/exp1/bioreactor/current_volume_ml');
    assert.equal(b.kind === 'bioreactor' && b.variable, 'current_volume_ml');
  });

  it('parses the assignment topic under $experiment', () => {
    const a = ok('pioreactor/pio01/$experiment/assignment');
    assert.equal(a.kind, 'assignment');
    assert.equal(a.experiment, '$experiment');
  });

  it('parses managed long-running jobs (experiment_profile/{job_id}/{setting})', () => {
    const m = ok('pioreactor/pio01/exp1/experiment_profile/42/experiment_profile_name');
    assert.equal(m.kind, 'managed_setting');
    if (m.kind === 'managed_setting') assert.equal(m.jobId, '42');
  });

  it('flags _testing_ experiments, which the leader drops', () => {
    assert.equal(ok('pioreactor/pio01/_testing_exp1/od_reading/od1').testing, true);
    assert.equal(ok('pioreactor/pio01/exp1/od_reading/od1').testing, false);
  });

  it('parses Colony request, reply and committed topics', () => {
    assert.equal(ok('pioreactor/u1/$experiment/colony/request/abc').kind, 'request');
    assert.equal(ok('pioreactor/u1/$experiment/colony/reply/abc').kind, 'reply');
    assert.equal(ok('pioreactor/u1/$experiment/colony/committed').kind, 'committed');
  });

  it('builds every shape that it parses', () => {
    const built = [
      topics.setting('u', 'e', 'stirring', 'target_rpm'),
      topics.state('u', 'e', 'stirring'),
      topics.set('u', 'e', 'stirring', 'target_rpm'),
      topics.stateSet('u', 'e', 'stirring'),
      topics.log('u', 'e', 'app', 'INFO'),
      topics.dosingEvents('u', 'e'),
      topics.ledChangeEvents('u', 'e'),
      topics.ledsIntensity('u', 'e'),
      topics.pwmsDc('u', 'e'),
      topics.bioreactor('u', 'e', 'alt_media_fraction'),
      topics.assignment('u'),
      topics.managedSetting('u', 'e', 'experiment_profile', '3', 'action_count'),
      topics.request('u', 'r1'),
      topics.reply('u', 'r1'),
      topics.committed('u'),
    ];
    for (const t of built) ok(t);
    assert.equal(topics.log('u', 'e', 'app', 'WARNING'), 'pioreactor/u/e/logs/app/warning');
    assert.throws(() => topics.setting('u/x', 'e', 'j', 's'), /invalid topic segment for unit/);
  });

  const rejects: Array<[string, RegExp]> = [
    ['', /empty topic/],
    ['homeassistant/u/e/j/s', /must start with/],
    ['pioreactor/u/e', /at least/],
    ['pioreactor/u//stirring/x', /empty topic level/],
    ['pioreactor/+/e/stirring/x', /wildcards/],
    ['pioreactor/u/e/logs/app/verbose', /unknown log level/],
    ['pioreactor/u/e/logs/app', /log topic is/],
    ['pioreactor/u/e/leds/brightness', /leds\/intensity/],
    ['pioreactor/u/e/pwms/freq', /pwms\/dc/],
    ['pioreactor/u/exp1/assignment', /under \$experiment/],
    ['pioreactor/u/e/Stirring/target_rpm', /lower-case/],
    ['pioreactor/u/e/run/x', /not a job name/],
    ['pioreactor/u/e/stirring', /setting level/],
    ['pioreactor/u/e/stirring/target-rpm', /not alphanumeric/],
    ['pioreactor/u/e/stirring/a/b/c/d', /too many/],
    ['pioreactor/u/$experiment/colony/other', /colony topics/],
  ];
  for (const [t, re] of rejects) {
    it(`rejects ${JSON.stringify(t)} with a reason`, () => {
      const r = parseTopic(t);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, re);
    });
  }
});
