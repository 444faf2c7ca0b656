// The phase trigger of issues 7 and 9: an experiment profile step waiting on "this unit enters the exponential
// phase" fires when online phase detection (fed growth rates over MQTT) labels it so. Both run on the leader's one
// event bus, and the condition reads the unit's retained `phase_detection/phase` (a bare word is a string in
// Pioreactor's profile expressions).
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { formatTimestamp } from '../../shared/timestamps.js';
import { LEADER, makeDataDir, startTestLeader } from '../leader/cluster.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** Lag (3 h), then exponential growth at mu 0.6 /h. */
const rate = (h: number) => (h < 3 ? 0.01 : 0.6);

describe('phase trigger in an experiment profile', function () {
  this.timeout(60_000);

  it('runs a step when the unit enters the exponential phase, not before', async () => {
    const dir = makeDataDir([]);
    mkdirSync(join(dir, 'experiment_profiles'), { recursive: true });
    writeFileSync(
      join(dir, 'experiment_profiles', 'phase.yaml'),
      [
        'experiment_profile_name: feed_at_exponential',
        'pioreactors:',
        '  u7:',
        '    jobs:',
        '      stirring:',
        '        actions:',
        `          - {type: when, wait_until: "::phase_detection:phase == exponential", actions: [{type: update, t: 0s, options: {target_rpm: 650}}]}`,
        '          - {type: stop, t: 5h}',
        '',
      ].join('\n'),
    );
    const leader = await startTestLeader(dir);
    const seen: string[] = [];
    const c = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
    try {
      await leader.app.inject({ method: 'POST', url: '/api/experiments', payload: { experiment: 'expE' } });
      await leader.app.inject({ method: 'PUT', url: '/api/workers', payload: { pioreactor_unit: 'u7' } });
      await leader.app.inject({ method: 'PUT', url: '/api/experiments/expE/workers', payload: { pioreactor_unit: 'u7' } });
      c.on('message', (t, p) => seen.push(`${t}=${p.toString()}`));
      await c.subscribeAsync('pioreactor/u7/expE/stirring/target_rpm/set', { qos: 1 });
      const run = await leader.app.inject({ method: 'POST', url: '/api/experiments/expE/experiment_profiles/run', payload: { filename: 'phase.yaml' } });
      assert.equal(run.statusCode, 201, run.body);
      const publish = async (fromH: number, toH: number) => {
        for (let h = fromH; h < toH; h += 1 / 30) {
          await c.publishAsync('pioreactor/u7/expE/growth_rate_calculating/growth_rate', JSON.stringify({ growth_rate: rate(h), timestamp: formatTimestamp(T0 + h * 3_600_000) }), { qos: 1 });
        }
      };
      await publish(0, 2.9);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(seen, [], 'no update while the culture is in lag');
      await publish(2.9, 8);
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seen, ['pioreactor/u7/expE/stirring/target_rpm/set=650']);
    } finally {
      await c.endAsync();
      await leader.stop();
    }
  });
});
