/** The install scripts' `--dry-run` prints the whole plan and exits 0 without root and without changes. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const script = (name: string) => join(process.cwd(), 'scripts', name);

describe('ops: install scripts (--dry-run)', () => {
  it('install-agent.sh prints every step and exits 0', () => {
    const r = spawnSync('bash', [script('install-agent.sh'), '--dry-run', '--unit', 'unit7'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const s of ['DRY RUN', 'Node.js 22', 'service user colony', 'enable I2C and the PWM overlay', 'colony-agent.service', 'deploy --prefix / --role agent', '--unit unit7', 'doctor --agent'])
      assert.ok(r.stdout.includes(s), `missing "${s}" in:\n${r.stdout}`);
  });

  it('install-leader.sh prints generated credentials as placeholders and exits 0', () => {
    const r = spawnSync('bash', [script('install-leader.sh'), '--dry-run', '--tls', '--name', 'lead1'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const s of ['DRY RUN', 'password=<generated>', 'api_keys=<generated>', 'openssl req -x509', 'colony-leader.service', 'doctor --leader'])
      assert.ok(r.stdout.includes(s), `missing "${s}" in:\n${r.stdout}`);
  });

  it('rejects an unknown option and a bad unit name', () => {
    assert.notEqual(spawnSync('bash', [script('install-agent.sh'), '--dry-run', '--bogus'], { encoding: 'utf8' }).status, 0);
    assert.notEqual(spawnSync('bash', [script('install-agent.sh'), '--dry-run', '--unit', 'a/b'], { encoding: 'utf8' }).status, 0);
  });
});
