import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isValidPackageName } from '../../leader/api/plugins.js';
import { adminHarness, isErrorBody, taskResult, type AdminHarness } from './admin-helpers.js';

describe('admin api: plugins', function () {
  this.timeout(120_000);
  let h: AdminHarness;
  before(async () => {
    h = await adminHarness();
  });
  after(async () => h.close());

  it('npm package-name rules', () => {
    for (const ok of ['colony-plugin-x', '@lab/thing', 'a', 'x.y_z-1']) assert.equal(isValidPackageName(ok), true, ok);
    for (const bad of ['', '-rf', '--prefix=/', '.x', '_x', 'UPPER', 'a b', 'a/b', '@scope', '@/x', '../x', 'fs', 'http', 'node_modules', 'favicon.ico', 'x;rm -rf /', '$(id)', 'a'.repeat(215), 'git+https://x', 'file:../x', 'x@1.0.0', 'x.tgz', 'x.tar.gz', 'x.tar']) {
      assert.equal(isValidPackageName(bad), false, bad);
    }
  });

  it('installs a packed tarball from the upload folder, lists it, uninstalls it', async () => {
    const src = mkdtempSync(join(tmpdir(), 'colony-plugin-src-'));
    writeFileSync(join(src, 'package.json'), JSON.stringify({ name: 'colony-plugin-hello', version: '1.2.3', description: 'says hello', author: 'Test Lab', main: 'index.js', scripts: { postinstall: 'touch SHOULD_NOT_EXIST' } }));
    writeFileSync(join(src, 'index.js'), 'export const hello = 1;\n');
    execFileSync('npm', ['pack', '--silent'], { cwd: src, stdio: ['ignore', 'pipe', 'ignore'] });
    const tgz = readdirSync(src).find((f) => f.endsWith('.tgz'))!;
    mkdirSync(join(h.dataDir, 'plugins-upload'), { recursive: true });
    renameSync(join(src, tgz), join(h.dataDir, 'plugins-upload', tgz));

    const r = await h.app.inject({ method: 'POST', url: '/api/units/leader/plugins/install', payload: { args: [tgz] } });
    assert.equal(r.statusCode, 202);
    const t = await taskResult(h.app, r.json(), 2000);
    assert.deepEqual(t.body.result, { leader: true });
    assert.ok(existsSync(join(h.dataDir, 'plugins', 'node_modules', 'colony-plugin-hello', 'index.js')));
    assert.equal(existsSync(join(h.dataDir, 'plugins', 'node_modules', 'colony-plugin-hello', 'SHOULD_NOT_EXIST')), false);

    const l = await h.app.inject({ method: 'GET', url: '/api/units/$broadcast/plugins/installed' });
    const list = (await taskResult(h.app, l.json())).body.result;
    assert.equal(list.leader.length, 1);
    assert.equal(list.leader[0].name, 'colony-plugin-hello');
    assert.equal(list.leader[0].version, '1.2.3');
    assert.equal(list.leader[0].author, 'Test Lab');
    assert.equal(list.unit1, null);

    const u = await h.app.inject({ method: 'PATCH', url: '/api/units/leader/plugins/uninstall', payload: { args: ['colony-plugin-hello'] } });
    assert.equal(u.statusCode, 202);
    assert.deepEqual((await taskResult(h.app, u.json(), 2000)).body.result, { leader: true });
    assert.equal(existsSync(join(h.dataDir, 'plugins', 'node_modules', 'colony-plugin-hello')), false);
  });

  it('refuses bad names, paths outside the upload folder, and installs when disallowed', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'colony-out-')), 'x.tgz');
    writeFileSync(outside, 'x');
    for (const args of [['-g'], ['x;id'], ['../x'], [outside], ['/etc/passwd.tgz'], ['../../x.tgz'], [], ['a', 'b'], [42]]) {
      const r = await h.app.inject({ method: 'POST', url: '/api/units/leader/plugins/install', payload: { args } });
      assert.equal(r.statusCode, 400, JSON.stringify(args));
      assert.ok(isErrorBody(r.json(), 400));
    }
    writeFileSync(join(h.dataDir, 'DISALLOW_UI_INSTALLS'), '');
    const r = await h.app.inject({ method: 'POST', url: '/api/units/leader/plugins/install', payload: { args: ['colony-x'] } });
    assert.equal(r.statusCode, 403);
  });
});
