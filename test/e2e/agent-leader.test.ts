// A real agent process and the leader, through each broker (the embedded aedes, and mosquitto with the same
// password and ACL rules): the agent's readings land in the leader's database and its outbox is acknowledged;
// the leader reaches the agent by request/reply (list jobs, run a job, a unit that does not answer is null);
// SIGTERM leaves the agent's jobs `disconnected`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from '../../bench/fleet.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { mosquittoPath, type TestBroker } from '../helpers/brokers.js';
import { CLI, LEADER, makeDataDir, startSecuredMosquitto, startTestLeader, unitCred } from '../leader/cluster.js';

const count = (l: LeaderHandle, table: string, unit: string) =>
  (l.ctx.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE pioreactor_unit = ?`).get(unit) as { n: number }).n;

function startAgent(url: string, unit: string, jobs: string): { child: ChildProcess; output: () => string } {
  const dir = mkdtempSync(join(tmpdir(), `colony-agent-${unit}-`));
  const config = join(dir, 'config.ini');
  // Intervals shortened through config (ARCHITECTURE.md §4): OD every 0.5 s, a short warm-up, RPM every 2 s.
  writeFileSync(
    config,
    ['[od_reading.config]', 'samples_per_second=2', '[growth_rate_calculating.config]', 'samples_for_od_statistics=3', '[stirring.config]', 'duration_between_updates_seconds=2', ''].join('\n'),
  );
  const child = spawn(process.execPath, [CLI, 'agent', '--unit', unit, '--backend', 'sim', '--broker', url, '--experiment', 'exp1', '--start', jobs, '--data-dir', dir, '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COLONY_MQTT_USERNAME: unit, COLONY_MQTT_PASSWORD: unitCred(unit).password, COLONY_LOG_LEVEL: 'warn' },
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  return { child, output: () => out };
}

for (const kind of ['embedded', 'mosquitto'] as const) {
  describe(`agent and leader end to end (${kind} broker)`, function () {
    this.timeout(90_000);
    let leader: LeaderHandle;
    let mosq: TestBroker | null = null;
    let url: string;
    let agent: { child: ChildProcess; output: () => string };

    before(async function () {
      if (kind === 'mosquitto' && !mosquittoPath()) this.skip();
      const creds = [unitCred('u1')];
      if (kind === 'mosquitto') mosq = await startSecuredMosquitto(creds);
      leader = await startTestLeader(makeDataDir(creds), mosq?.url);
      url = mosq?.url ?? leader.broker.url;
      leader.ctx.db.prepare("INSERT INTO experiments VALUES ('exp1', '2026-01-01T00:00:00.000Z', '')").run();
      agent = startAgent(url, 'u1', 'od_reading,growth_rate_calculating');
    });

    after(async () => {
      if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
      await leader?.stop();
      await mosq?.stop();
    });

    it("stores the agent's od readings and growth rates, and acknowledges them", async () => {
      await waitFor(() => count(leader, 'od_readings', 'u1') >= 5, 45_000, `od_readings from u1 (agent output: ${agent.output().slice(-2000)})`);
      await waitFor(() => count(leader, 'growth_rates', 'u1') >= 1, 45_000, 'growth_rates from u1');
      const w = leader.ctx.db.prepare("SELECT seq FROM colony_outbox_watermarks WHERE pioreactor_unit = 'u1'").get() as { seq: number } | undefined;
      assert.ok(w && w.seq >= 5, 'the leader holds a watermark for the agent\'s outbox');
    });

    it('reaches the agent by request/reply, and reports a silent unit as null', async () => {
      const running = await leader.ctx.units.call('u1', 'jobs.running');
      const names = (running as Array<{ job_name: string }>).map((j) => j.job_name);
      assert.ok(names.includes('od_reading'), JSON.stringify(running));
      const all = await leader.ctx.units.fanOut(['u1', 'nobody'], 'versions', {}, 1500);
      assert.equal(all.nobody, null);
      assert.ok(all.u1 && typeof all.u1 === 'object');
      await leader.ctx.units.call('u1', 'jobs.run', { job: 'stirring' }, 10_000);
      const watcher = await mqtt.connectAsync(url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
      const state = new Promise<string>((resolve) => watcher.on('message', (_t, p) => String(p) === 'ready' && resolve('ready')));
      await watcher.subscribeAsync('pioreactor/u1/exp1/stirring/$state', { qos: 1 });
      assert.equal(await state, 'ready');
      await watcher.endAsync();
    });

    it('turns every job disconnected on SIGTERM', async () => {
      const watcher = await mqtt.connectAsync(url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
      const states = new Map<string, string>();
      watcher.on('message', (t, p) => states.set(t.split('/')[3], String(p)));
      await watcher.subscribeAsync('pioreactor/u1/exp1/+/$state', { qos: 1 });
      await waitFor(() => states.get('od_reading') === 'ready', 5000, 'od_reading ready');
      const exited = new Promise<number | null>((r) => agent.child.once('exit', (code) => r(code)));
      agent.child.kill('SIGTERM');
      assert.equal(await exited, 0);
      await waitFor(() => ['od_reading', 'growth_rate_calculating', 'stirring'].every((j) => states.get(j) === 'disconnected'), 5000, `all disconnected: ${JSON.stringify([...states])}`);
      await watcher.endAsync();
    });
  });
}
