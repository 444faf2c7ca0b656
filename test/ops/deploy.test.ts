/** `colony deploy`: rendered units for leader and agent pass `systemd-analyze verify` without warnings. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDeploy, run, writeRendered } from '../../cli/deploy.js';

function hasSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('ops: colony deploy', () => {
  let prefix: string;
  beforeEach(() => {
    prefix = mkdtempSync(join(tmpdir(), 'colony-deploy-'));
  });
  afterEach(() => rmSync(prefix, { recursive: true, force: true }));

  it('renders a notify/watchdog leader unit and a config without credentials', async () => {
    const log = console.log;
    console.log = () => undefined;
    try {
      assert.equal(await run(['--prefix', prefix, '--role', 'leader']), 0);
    } finally {
      console.log = log;
    }
    const unit = readFileSync(join(prefix, 'etc/systemd/system/colony-leader.service'), 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=30', 'Restart=on-failure', 'User=colony', 'PrivateDevices=yes', 'StandardOutput=journal'])
      assert.ok(unit.includes(`\n${line}\n`), line);
    assert.doesNotMatch(unit, /@[A-Z_]+@/);
    const cfg = readFileSync(join(prefix, 'etc/colony/config.ini'), 'utf8');
    assert.doesNotMatch(cfg, /^password=/m);
  });

  it('keeps hardware access open for the agent: groups, no PrivateDevices, writable /sys', () => {
    const [unit] = renderDeploy({ prefix, role: 'agent', unit: 'unit1' });
    assert.match(unit.content, /^SupplementaryGroups=gpio i2c spi$/m);
    assert.doesNotMatch(unit.content, /^PrivateDevices=/m);
    assert.doesNotMatch(unit.content, /^ProtectKernelTunables=/m);
    assert.match(unit.content, /agent --unit unit1 /);
    assert.throws(() => renderDeploy({ prefix, role: 'agent' }), /--unit NAME/);
  });

  it('units rendered for a prefix pass systemd-analyze verify', function () {
    if (!hasSystemdAnalyze()) this.skip();
    for (const role of ['leader', 'agent'] as const) {
      writeRendered(renderDeploy({ prefix, role, unit: role === 'agent' ? 'unit1' : undefined, node: process.execPath }));
      const path = join(prefix, 'etc/systemd/system', `colony-${role}.service`);
      const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      // verify exits 0 even for ignored lines, so any output at all is a failure.
      const out = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(`colony-${role}.service`) || /ignoring|unknown|failed/i.test(l));
      assert.equal(r.status, 0, `${role}: ${r.stderr}`);
      assert.deepEqual(out, [], `${role}: ${out.join('\n')}`);
    }
  });
});
