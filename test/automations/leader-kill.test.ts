// Issue 7: a dosing automation hosted by the leader shows its `$state` under the unit's topics, turns `lost` when
// the leader process is killed with -9 (its own connection's will, published by the external broker, mosquitto),
// and comes back `ready` from the database when the leader restarts.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { waitFor } from '../../bench/fleet.js';
import { mosquittoPath, type TestBroker } from '../helpers/brokers.js';
import { killHard, LEADER, makeDataDir, spawnLeader, startSecuredMosquitto, unitCred, type ChildLeader } from '../leader/cluster.js';

describe('leader-hosted automation across a kill -9 of the leader (mosquitto)', function () {
  this.timeout(90_000);
  let mosq: TestBroker | null = null;
  let leader: ChildLeader | null = null;

  before(async function () {
    if (!mosquittoPath()) this.skip();
    mosq = await startSecuredMosquitto([unitCred('u1')]);
  });
  after(async () => {
    if (leader) await killHard(leader);
    await mosq?.stop();
  });

  it('is ready under the unit, lost after kill -9, ready again after the restart', async () => {
    const dir = makeDataDir([unitCred('u1')]);
    leader = await spawnLeader(dir, { brokerUrl: mosq!.url });
    const http = (port: number, method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    assert.equal((await http(leader.httpPort, 'POST', '/api/experiments', { experiment: 'exp1' })).status, 201);
    await http(leader.httpPort, 'PUT', '/api/workers', { pioreactor_unit: 'u1' });
    await http(leader.httpPort, 'PUT', '/api/experiments/exp1/workers', { pioreactor_unit: 'u1' });

    const watcher = await mqtt.connectAsync(mosq!.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
    const states: string[] = [];
    watcher.on('message', (_t, p) => states.push(String(p)));
    await watcher.subscribeAsync('pioreactor/u1/exp1/dosing_automation/$state', { qos: 1 });
    try {
      const run = await http(leader.httpPort, 'POST', '/api/workers/u1/jobs/run/job_name/dosing_automation/experiments/exp1', { options: { automation_name: 'silent' } });
      assert.equal(run.status, 202);
      await waitFor(() => states[states.length - 1] === 'ready', 15_000, `ready (${states.join(',')}; leader: ${leader!.output().slice(-500)})`);

      await killHard(leader);
      leader = null;
      await waitFor(() => states[states.length - 1] === 'lost', 15_000, `lost after kill -9 (${states.join(',')})`);

      leader = await spawnLeader(dir, { brokerUrl: mosq!.url });
      await waitFor(() => states[states.length - 1] === 'ready', 15_000, `ready after the restart (${states.join(',')})`);
    } finally {
      await watcher.endAsync();
    }
  });
});
