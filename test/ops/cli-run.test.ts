/** `colony run/stop`, `colony export` and the leader's cluster-health view, with a live sim agent (child process). */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { waitFor } from '../../bench/fleet.js';
import { ColonyClient } from '../../cli/client/api.js';
import { exportCommand, runCommand, stopCommand } from '../../cli/client/commands.js';
import type { Out } from '../../cli/client/output.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { CLI, makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';

function capture(): Out & { text: () => string; err: () => string } {
  let o = '';
  let e = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  return { json: false, quiet: false, stdout: sink((s) => (o += s)), stderr: sink((s) => (e += s)), text: () => o, err: () => e };
}

describe('ops: CLI run/stop/export with a live sim agent', function () {
  this.timeout(90_000);
  let leader: LeaderHandle;
  let agent: ChildProcess | null = null;
  let out = '';

  before(async function () {
    if (!existsSync(CLI)) this.skip(); // needs `npm run build` (npm test builds first)
    leader = await startTestLeader(makeDataDir([unitCred('u1')]));
    const c = new ColonyClient({ endpoint: leader.httpUrl });
    await c.createExperiment('exp1');
    await c.addWorker('u1');
    await c.assign('exp1', 'u1');
    const dir = mkdtempSync(join(tmpdir(), 'colony-ops-agent-'));
    const config = join(dir, 'config.ini');
    writeFileSync(config, '[od_reading.config]\nsamples_per_second=2\n[discovery]\nenabled=false\n');
    agent = spawn(process.execPath, [CLI, 'agent', '--unit', 'u1', '--backend', 'sim', '--broker', leader.broker.url, '--start', 'od_reading', '--data-dir', dir, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, COLONY_MQTT_USERNAME: 'u1', COLONY_MQTT_PASSWORD: unitCred('u1').password, COLONY_LOG_LEVEL: 'warn' },
    });
    agent.stdout?.on('data', (d) => (out += String(d)));
    agent.stderr?.on('data', (d) => (out += String(d)));
    const n = () => (leader.ctx.db.prepare("SELECT count(*) AS n FROM od_readings WHERE pioreactor_unit = 'u1'").get() as { n: number }).n;
    await waitFor(() => n() >= 3, 45_000, `od readings from u1 (agent: ${out.slice(-1500)})`);
  });

  after(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    await leader?.stop();
  });

  it('run and stop a job on a unit through the 202 task pattern', async () => {
    const r = capture();
    const code = await runCommand.runWith(['stirring', '--units', 'u1', '--option', 'target_rpm=400', '--endpoint', leader.httpUrl, '--json'], r);
    assert.equal(code, 0, `${r.text()}${r.err()}`);
    assert.deepEqual(JSON.parse(r.text()), [{ unit: 'u1', job: 'stirring', experiment: 'exp1', started: 'yes' }]);
    const s = capture();
    assert.equal(await stopCommand.runWith(['stirring', '--units', 'u1', '--endpoint', leader.httpUrl], s), 0, s.err());
    assert.match(s.text(), /u1\s+stirring\s+exp1\s+stop requested/);
  });

  it('the leader sees the unit clock and version (monitor job)', async () => {
    const c = new ColonyClient({ endpoint: leader.httpUrl });
    await waitFor(async () => (await c.clusterHealth()).units.some((u) => u.unit === 'u1' && u.version !== null && u.clock_offset_ms !== null), 20_000, 'u1 in /api/cluster/health');
    const u1 = (await c.clusterHealth()).units.find((u) => u.unit === 'u1')!;
    assert.ok(Math.abs(u1.clock_offset_ms!) < 5000);
  });

  it('export downloads the zip (no progress bar when not a TTY)', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'colony-export-')), 'od.zip');
    const r = capture();
    const code = await exportCommand.runWith(['--datasets', 'od_readings', '--experiments', 'exp1', '--out', target, '--endpoint', leader.httpUrl], r);
    assert.equal(code, 0, r.err());
    assert.equal(readFileSync(target).subarray(0, 2).toString(), 'PK');
    assert.doesNotMatch(r.err(), /\r/);
  });
});
