/** The laptop CLI and `colony doctor` against an in-process leader. */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { MqttUsers } from '../../leader/auth/mqtt-users.js';
import { USERS_FILE, type LeaderHandle } from '../../leader/leader.js';
import { experimentsCommand } from '../../cli/client/commands.js';
import type { Out } from '../../cli/client/output.js';
import { doctorCommand } from '../../cli/doctor.js';
import { workersCommand } from '../../cli/workers.js';
import { freePort } from '../helpers/brokers.js';
import { makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';

function capture(): Out & { text: () => string; err: () => string } {
  let o = '';
  let e = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        f(String(chunk));
        cb();
      },
    });
  return { json: false, quiet: false, stdout: sink((s) => (o += s)), stderr: sink((s) => (e += s)), text: () => o, err: () => e };
}

describe('ops: colony CLI against an in-process leader', function () {
  this.timeout(30_000);
  let leader: LeaderHandle;
  let dir: string;
  before(async () => {
    dir = makeDataDir([unitCred('unit1')]);
    leader = await startTestLeader(dir);
  });
  after(async () => leader?.stop());

  it('workers add: a unit identity, a config snippet with fresh credentials, and the inventory row', async () => {
    const out = capture();
    const snippet = join(dir, 'unit9.ini');
    const code = await workersCommand.runWith(['add', 'unit9', '--data-dir', dir, '--endpoint', leader.httpUrl, '--out', snippet], out);
    assert.equal(code, 0, out.err());
    const { readFileSync, statSync } = await import('node:fs');
    const text = readFileSync(snippet, 'utf8');
    assert.equal(statSync(snippet).mode & 0o777, 0o600);
    assert.match(text, /^username=unit9$/m);
    const password = /^password=(.+)$/m.exec(text)?.[1];
    assert.ok(password && password.length >= 20);
    assert.deepEqual(MqttUsers.load(join(dir, USERS_FILE)).verify('unit9', password), { username: 'unit9', role: 'unit', unit: 'unit9' });
    assert.match(out.err(), /inventory: added via/);

    // A second add rotates the password: never the same secret twice.
    const again = capture();
    assert.equal(await workersCommand.runWith(['add', 'unit9', '--data-dir', dir, '--endpoint', leader.httpUrl, '--json'], again), 0);
    const j = JSON.parse(again.text()) as { password: string; rotated: boolean };
    assert.equal(j.rotated, true);
    assert.notEqual(j.password, password);

    const list = capture();
    assert.equal(await workersCommand.runWith(['list', '--endpoint', leader.httpUrl, '--json'], list), 0);
    assert.ok((JSON.parse(list.text()) as Array<{ pioreactor_unit: string }>).some((w) => w.pioreactor_unit === 'unit9'));
    const table = capture();
    assert.equal(await workersCommand.runWith(['list', '--endpoint', leader.httpUrl], table), 0);
    assert.match(table.text(), /^PIOREACTOR_UNIT\s+IS_ACTIVE/m);
  });

  it('experiments create / assign / list, and the API error with its remedy', async () => {
    const e = leader.httpUrl;
    assert.equal(await experimentsCommand.runWith(['create', 'exp-cli', '--description', 'from the CLI', '--endpoint', e], capture()), 0);
    const assign = capture();
    assert.equal(await experimentsCommand.runWith(['assign', 'exp-cli', 'unit9', '--endpoint', e], assign), 0, assign.err());
    const list = capture();
    assert.equal(await experimentsCommand.runWith(['list', '--endpoint', e, '--json'], list), 0);
    assert.ok((JSON.parse(list.text()) as Array<{ experiment: string }>).some((x) => x.experiment === 'exp-cli'));
    const dup = capture();
    assert.equal(await experimentsCommand.runWith(['create', 'exp-cli', '--endpoint', e], dup), 1);
    assert.match(dup.err(), /409/);
    assert.match(dup.err(), /remedy: /);
  });

  it('an unreachable leader is one clear error with a remedy (exit 3)', async () => {
    const out = capture();
    const port = await freePort();
    assert.equal(await experimentsCommand.runWith(['list', '--endpoint', `http://127.0.0.1:${port}`], out), 3);
    assert.match(out.err(), /cannot reach the leader/);
    assert.match(out.err(), /remedy: Check that the leader runs/);
  });

  it('doctor --agent passes on the sim backend with the unit credentials', async () => {
    const cfg = join(dir, 'unit1.ini');
    writeFileSync(cfg, `[mqtt]\nusername=unit1\npassword=unit1-secret-1\n[colony]\nbackend=sim\n`);
    const out = capture();
    const code = await doctorCommand.runWith(['--agent', '--config', cfg, '--data-dir', dir, '--broker', leader.broker.url, '--endpoint', leader.httpUrl], out);
    assert.equal(code, 0, out.text());
    assert.match(out.text(), /n\/a\s+i2c/);
    assert.match(out.text(), /ok\s+broker/);
    assert.match(out.text(), /ok\s+clock\s+within/);
  });

  it('doctor --leader checks the database and the leader login', async () => {
    const out = capture();
    const code = await doctorCommand.runWith(['--leader', '--config', join(dir, 'config.ini'), '--data-dir', dir, '--broker', leader.broker.url], out);
    assert.equal(code, 0, out.text());
    assert.match(out.text(), /ok\s+database .*quick_check/);
  });

  it('doctor fails with a remedy when the broker is down or the password is wrong', async () => {
    const cfg = join(dir, 'unit1.ini');
    const down = capture();
    const port = await freePort();
    assert.equal(await doctorCommand.runWith(['--agent', '--config', cfg, '--data-dir', dir, '--broker', `mqtt://127.0.0.1:${port}`, '--endpoint', leader.httpUrl], down), 1);
    assert.match(down.text(), /FAIL\s+broker\s+cannot connect to mqtt:\/\/127\.0\.0\.1/);
    assert.match(down.text(), /remedy: Start the broker/);
    const badCfg = join(dir, 'bad.ini');
    writeFileSync(badCfg, `[mqtt]\nusername=unit1\npassword=wrong\n[colony]\nbackend=sim\n`);
    const bad = capture();
    assert.equal(await doctorCommand.runWith(['--agent', '--config', badCfg, '--data-dir', dir, '--broker', leader.broker.url, '--endpoint', leader.httpUrl], bad), 1);
    assert.match(bad.text(), /remedy: The password does not match/);
    const invalid = join(dir, 'invalid.ini');
    writeFileSync(invalid, `[mqtt]\nbroker_port=abc\n`);
    const inv = capture();
    assert.equal(await doctorCommand.runWith(['--agent', '--config', invalid, '--data-dir', dir, '--broker', leader.broker.url, '--endpoint', leader.httpUrl], inv), 1);
    assert.match(inv.text(), /FAIL\s+config .*mqtt\.broker_port/);
  });
});
