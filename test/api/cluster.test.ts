// End to end through /api: the leader (embedded broker, ingest) and two sim agents as child processes. Fan-out
// routes answer for both live agents; a job run through /api produces readings in /time_series; a setting changed
// through the update route is published on `/set` and taken by the job; stopping it leaves `disconnected`; with one
// agent killed, its entry is null.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { FANOUT_TIMEOUTS } from '../../leader/api/core-util.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { CLI, LEADER, makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';
import { pollTask, send } from './harness.js';

function startAgent(url: string, unit: string): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), `colony-api-agent-${unit}-`));
  const config = join(dir, 'config.ini');
  writeFileSync(config, ['[od_reading.config]', 'samples_per_second=2', '[growth_rate_calculating.config]', 'samples_for_od_statistics=3', '[stirring.config]', 'duration_between_updates_seconds=2', ''].join('\n'));
  return spawn(process.execPath, [CLI, 'agent', '--unit', unit, '--backend', 'sim', '--broker', url, '--experiment', 'exp1', '--data-dir', dir, '--config', config], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, COLONY_MQTT_USERNAME: unit, COLONY_MQTT_PASSWORD: unitCred(unit).password, COLONY_LOG_LEVEL: 'warn' },
  });
}

async function until<T>(f: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('api end to end: leader and two sim agents', function () {
  this.timeout(120_000);
  let leader: LeaderHandle;
  const agents = new Map<string, ChildProcess>();
  let watcher: MqttClient;
  const seen = new Map<string, string>();
  const saved = { ...FANOUT_TIMEOUTS };

  before(async function () {
    if (!existsSync(CLI)) this.skip(); // npm run build first
    FANOUT_TIMEOUTS.get = 2000;
    FANOUT_TIMEOUTS.capabilities = 4000;
    FANOUT_TIMEOUTS.post = 15_000;
    leader = await startTestLeader(makeDataDir([unitCred('u1'), unitCred('u2')]));
    const app = leader.app;
    assert.equal((await send(app, 'POST', '/api/experiments', { experiment: 'exp1' })).statusCode, 201);
    for (const u of ['u1', 'u2']) {
      assert.equal((await send(app, 'PUT', '/api/workers', { pioreactor_unit: u })).statusCode, 201);
      assert.equal((await send(app, 'PUT', '/api/experiments/exp1/workers', { pioreactor_unit: u })).statusCode, 200);
      agents.set(u, startAgent(leader.broker.url, u));
    }
    watcher = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4, clientId: 'api-e2e-watcher' });
    watcher.on('message', (t, p) => seen.set(t, String(p)));
    await watcher.subscribeAsync(['pioreactor/+/exp1/stirring/#'], { qos: 1 });
    // Both agents answer requests.
    await until(async () => {
      const r = await send(app, 'GET', '/api/units/$broadcast/jobs/running');
      const done = await pollTask(app, r.json());
      const res = done.body.result as Record<string, unknown>;
      return Array.isArray(res.u1) && Array.isArray(res.u2);
    }, 60_000, 'both agents to answer jobs.running');
  });

  after(async () => {
    Object.assign(FANOUT_TIMEOUTS, saved);
    for (const a of agents.values()) if (a.exitCode === null) a.kill('SIGKILL');
    await watcher?.endAsync(true);
    await leader?.stop();
  });

  it('fans capabilities out to both agents (the leader has no agent: null)', async () => {
    const r = await send(leader.app, 'GET', '/api/units/$broadcast/capabilities');
    assert.equal(r.statusCode, 202);
    const res = (await pollTask(leader.app, r.json())).body.result as Record<string, unknown>;
    assert.deepEqual(Object.keys(res), ['leader', 'u1', 'u2']);
    assert.equal(res.leader, null);
    assert.ok(Array.isArray(res.u1) && (res.u1 as unknown[]).length > 0);
    assert.ok(Array.isArray(res.u2));
  });

  it('runs od_reading on both through /api and serves its readings in /time_series', async () => {
    const r = await send(leader.app, 'POST', '/api/workers/$broadcast/jobs/run/job_name/od_reading/experiments/exp1', { options: {}, env: { JOB_SOURCE: 'user' } });
    assert.equal(r.statusCode, 202);
    const res = await pollTask(leader.app, r.json(), 30_000);
    assert.deepEqual(res.body.result, { u1: true, u2: true });
    const body = await until(async () => {
      const t = (await send(leader.app, 'GET', '/api/experiments/exp1/time_series/od_readings?lookback=1')).json() as { series: string[]; data: unknown[][] };
      return t.series.some((s) => s.startsWith('u1-')) && t.series.some((s) => s.startsWith('u2-')) && t.data.every((d) => d.length >= 3) ? t : null;
    }, 45_000, 'od_readings of u1 and u2 in /time_series');
    assert.equal(body.series.length, body.data.length);
  });

  it('updates a setting through the update route (published on /set) and stops the job (disconnected)', async () => {
    const run = await send(leader.app, 'PATCH', '/api/units/u1/jobs/run/job_name/stirring/experiments/exp1', { options: { target_rpm: 400 } });
    assert.deepEqual((await pollTask(leader.app, run.json(), 30_000)).body.result, { u1: true });
    await until(async () => seen.get('pioreactor/u1/exp1/stirring/$state') === 'ready', 15_000, 'stirring ready');
    const up = await send(leader.app, 'PATCH', '/api/units/u1/jobs/update/job_name/stirring/experiments/exp1', { settings: { target_rpm: 555 } });
    assert.equal(up.statusCode, 202);
    await until(async () => seen.get('pioreactor/u1/exp1/stirring/target_rpm/set') === '555', 5000, 'the /set message');
    await until(async () => Number(seen.get('pioreactor/u1/exp1/stirring/target_rpm')) === 555, 10_000, 'the job to take target_rpm');
    const s = await send(leader.app, 'GET', '/api/workers/u1/jobs/settings/job_name/stirring/setting/target_rpm/experiments/exp1');
    assert.deepEqual((await pollTask(leader.app, s.json())).body.result, { u1: { target_rpm: 555 } });
    const stop = await send(leader.app, 'POST', '/api/units/u1/jobs/stop/job_name/stirring/experiments/exp1');
    assert.deepEqual([stop.statusCode, stop.json()], [202, { status: 'success' }]);
    await until(async () => seen.get('pioreactor/u1/exp1/stirring/$state') === 'disconnected', 15_000, 'stirring disconnected');
  });

  it('reports a unit that is down as null', async () => {
    const u2 = agents.get('u2')!;
    const exited = new Promise((r) => u2.once('exit', r));
    u2.kill('SIGKILL');
    await exited;
    const r = await send(leader.app, 'GET', '/api/units/$broadcast/jobs/running');
    const res = (await pollTask(leader.app, r.json())).body.result as Record<string, unknown>;
    assert.equal(res.u2, null);
    assert.ok(Array.isArray(res.u1) && (res.u1 as Array<{ job_name: string }>).some((j) => j.job_name === 'od_reading'));
  });
});
