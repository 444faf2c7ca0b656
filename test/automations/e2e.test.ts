// End to end: the leader and one real sim agent (child process, built CLI). A turbidostat started through
// ctx.leaderJobs.run doses through the agent's pumps.dose: dosing_events rows appear, the automation's $state
// shows under the unit's topics, and it turns `lost` when the automation's connection is dropped hard. And the
// plugin contract: docs/plugins/pulse_feed.mjs, dropped into <dataDir>/plugins/, is discovered at start, its
// descriptor is served, and it doses through the /api job route like a built-in.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from '../../bench/fleet.js';
import type { AutomationManager } from '../../leader/automations/manager.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { CLI, LEADER, makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';

function startAgent(url: string, unit: string): { child: ChildProcess; output: () => string } {
  const dir = mkdtempSync(join(tmpdir(), `colony-agent-${unit}-`));
  const config = join(dir, 'config.ini');
  writeFileSync(config, ['[od_reading.config]', 'samples_per_second=2', '[growth_rate_calculating.config]', 'samples_for_od_statistics=3', ''].join('\n'));
  const child = spawn(process.execPath, [CLI, 'agent', '--unit', unit, '--backend', 'sim', '--broker', url, '--experiment', 'exp1', '--start', 'od_reading,growth_rate_calculating', '--data-dir', dir, '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COLONY_MQTT_USERNAME: unit, COLONY_MQTT_PASSWORD: unitCred(unit).password, COLONY_LOG_LEVEL: 'warn' },
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  return { child, output: () => out };
}

describe('dosing automation on the leader, end to end with a sim agent', function () {
  this.timeout(120_000);
  let leader: LeaderHandle;
  let agent: { child: ChildProcess; output: () => string };

  before(async () => {
    const dir = makeDataDir([unitCred('u1')], '[dosing_automation.config]\npause_between_subdoses_seconds=0.2\n');
    mkdirSync(join(dir, 'plugins'));
    copyFileSync(join('docs', 'plugins', 'pulse_feed.mjs'), join(dir, 'plugins', 'pulse_feed.mjs'));
    writeFileSync(join(dir, 'plugins', 'broken.mjs'), 'export default { name: "Not Valid", kind: "dosing" };\n');
    leader = await startTestLeader(dir);
    leader.ctx.db.prepare("INSERT INTO experiments VALUES ('exp1', '2026-01-01T00:00:00.000Z', '')").run();
    agent = startAgent(leader.broker.url, 'u1');
  });

  after(async () => {
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await leader?.stop();
  });

  it('doses, shows its $state under the unit, and goes lost when its connection drops', async () => {
    const watcher = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
    const seen: string[] = [];
    watcher.on('message', (t, p) => t.endsWith('dosing_automation/$state') && seen.push(String(p)));
    await watcher.subscribeAsync('pioreactor/u1/exp1/dosing_automation/$state', { qos: 1 });
    // wait for the agent to answer before starting
    await waitFor(async () => (await leader.ctx.units.request('u1', 'versions', {}, 1000))?.ok === true, 30_000, `agent up (${agent.output().slice(-1000)})`);
    const lj = leader.ctx.leaderJobs!;
    assert.ok(lj.handles('dosing_automation'));
    const r = (await lj.run('u1', 'exp1', 'dosing_automation', { automation_name: 'turbidostat', target_biomass: 0.5, exchange_volume_ml: 0.3 })) as { state: string };
    assert.equal(r.state, 'ready');
    assert.deepEqual(
      lj.running('u1').map((j) => j.job_name),
      ['dosing_automation'],
    );
    const rows = () => (leader.ctx.db.prepare("SELECT count(*) AS n FROM dosing_events WHERE pioreactor_unit = 'u1' AND source_of_event = 'dosing_automation:turbidostat'").get() as { n: number }).n;
    await waitFor(() => rows() >= 3, 60_000, `dosing_events rows (agent: ${agent.output().slice(-1500)})`);
    const steps = () => leader.ctx.db.prepare("SELECT pump, status FROM colony_dosing_steps WHERE status = 'confirmed'").all() as Array<{ pump: string }>;
    await waitFor(() => steps().some((s) => s.pump === 'add_media') && steps().filter((s) => s.pump === 'remove_waste').length >= 2, 30_000, 'media, waste and extra waste confirmed');
    const wasteRows = (leader.ctx.db.prepare("SELECT count(*) AS n FROM dosing_events WHERE pioreactor_unit = 'u1' AND event = 'remove_waste'").get() as { n: number }).n;
    await waitFor(() => wasteRows > 0 || rows() > 3, 10_000, 'waste dosing events stored');
    await waitFor(() => seen.includes('ready'), 5000, 'ready on the unit topic');
    const job = (lj as AutomationManager).job('u1')!;
    job.crashForTest();
    await waitFor(() => seen[seen.length - 1] === 'lost', 10_000, `lost after a hard drop: ${seen.join(',')}`);
    await watcher.endAsync();
  });

  it('loads a plugin automation from <dataDir>/plugins, serves its descriptor, and runs it through the /api', async () => {
    const d = await leader.app.inject({ method: 'GET', url: '/api/automations/descriptors/dosing' });
    const descriptors = JSON.parse(d.body) as Array<{ automation_name: string; source?: string; fields: Array<{ key: string }> }>;
    const pulse = descriptors.find((x) => x.automation_name === 'pulse_feed');
    assert.ok(pulse, `pulse_feed among ${descriptors.map((x) => x.automation_name).join(', ')}`);
    assert.equal(pulse.source, 'pulse_feed.mjs');
    assert.deepEqual(
      pulse.fields.map((f) => f.key),
      ['pulse_ml', 'every_minutes'],
    );
    assert.ok(!descriptors.some((x) => x.automation_name === 'Not Valid'), 'the invalid plugin is skipped');

    await leader.ctx.leaderJobs!.stop('u1', 'exp1', 'dosing_automation');
    await leader.app.inject({ method: 'PUT', url: '/api/workers', payload: { pioreactor_unit: 'u1' } });
    await leader.app.inject({ method: 'PUT', url: '/api/experiments/exp1/workers', payload: { pioreactor_unit: 'u1' } });
    const run = await leader.app.inject({
      method: 'POST',
      url: '/api/workers/u1/jobs/run/job_name/dosing_automation/experiments/exp1',
      payload: { options: { automation_name: 'pulse_feed', pulse_ml: 0.2, every_minutes: 0.05 } },
    });
    assert.ok(run.statusCode < 300, run.body);
    const rows = () => (leader.ctx.db.prepare("SELECT count(*) AS n FROM dosing_events WHERE pioreactor_unit = 'u1' AND event = 'add_media' AND source_of_event = 'dosing_automation:pulse_feed'").get() as { n: number }).n;
    await waitFor(() => rows() >= 2, 60_000, `two pulses of media (agent: ${agent.output().slice(-1000)})`);
    await leader.ctx.leaderJobs!.stop('u1', 'exp1', 'dosing_automation');

    // A start the automation refuses answers {u1: false}, and says why in the unit's log.
    const bad = await leader.app.inject({
      method: 'POST',
      url: '/api/workers/u1/jobs/run/job_name/dosing_automation/experiments/exp1',
      payload: { options: { automation_name: 'turbidostat', target_od: 1.5 } },
    });
    assert.equal(bad.statusCode, 202, bad.body);
    const why = () => leader.ctx.db.prepare("SELECT message FROM logs WHERE pioreactor_unit = 'u1' AND level = 'ERROR' AND message LIKE 'dosing_automation did not start%'").pluck().all() as string[];
    await waitFor(() => why().length > 0, 10_000, 'the reason in the unit log');
    assert.match(why()[0], /target_od|target_biomass/);
  });
});
