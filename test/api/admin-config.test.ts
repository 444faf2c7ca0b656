import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminHarness, isErrorBody, type AdminHarness } from './admin-helpers.js';

describe('admin api: config files', () => {
  let h: AdminHarness;
  beforeEach(async () => {
    h = await adminHarness();
  });
  afterEach(async () => h.close());

  it('lists config.ini and the files of known units only', async () => {
    writeFileSync(join(h.dataDir, 'config', 'config_unit1.ini'), '[stirring.config]\ntarget_rpm=400\n');
    writeFileSync(join(h.dataDir, 'config', 'config_stranger.ini'), '[stirring.config]\ntarget_rpm=400\n');
    const r = await h.app.inject({ method: 'GET', url: '/api/config/files' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), ['config.ini', 'config_unit1.ini']);
  });

  it('serves config.ini as text with the browser identity, never the leader credentials', async () => {
    for (const url of ['/api/config/files/config.ini', '/api/config/shared']) {
      const r = await h.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      assert.match(r.body, /^username=browser$/m);
      assert.match(r.body, /^password=browser-secret-1$/m);
      assert.doesNotMatch(r.body, /leader-secret-1/);
      assert.doesNotMatch(r.body, /browser_username|browser_password/);
      assert.match(r.body, /leader_hostname=leader/);
    }
  });

  it('unit overlay JSON carries the browser identity and the unit file wins', async () => {
    writeFileSync(join(h.dataDir, 'config', 'config_unit1.ini'), '[stirring.config]\ntarget_rpm=400\n[mqtt]\npassword=unit1-secret\n');
    const r = await h.app.inject({ method: 'GET', url: '/api/config/units/unit1' });
    assert.equal(r.statusCode, 200);
    const j = r.json();
    assert.equal(j.unit1['stirring.config'].target_rpm, '400');
    assert.equal(j.unit1.mqtt.username, 'browser');
    assert.equal(j.unit1.mqtt.password, 'browser-secret-1');
    assert.equal(j.unit1.mqtt.browser_password, undefined);
    assert.doesNotMatch(r.body, /unit1-secret|leader-secret-1/);
    const all = await h.app.inject({ method: 'GET', url: '/api/config/units/$broadcast' });
    assert.deepEqual(Object.keys(all.json()).sort(), ['leader', 'unit1', 'unit2']);
  });

  it('PATCH validates before saving: a bad value is a 400 naming section.key, the file is untouched', async () => {
    const before = readFileSync(join(h.dataDir, 'config', 'config.ini'), 'utf8');
    const r = await h.app.inject({ method: 'PATCH', url: '/api/config/files/config.ini', payload: { code: '[stirring.config]\ntarget_rpm=fast\n' } });
    assert.equal(r.statusCode, 400);
    assert.ok(isErrorBody(r.json(), 400));
    assert.match(r.json().error, /stirring\.config\.target_rpm/);
    assert.equal(readFileSync(join(h.dataDir, 'config', 'config.ini'), 'utf8'), before);
    const unknown = await h.app.inject({ method: 'PATCH', url: '/api/config/shared', payload: { code: '[mqtt]\nbroker_prt=1\n' } });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error, /mqtt\.broker_prt/);
    const dup = await h.app.inject({ method: 'PATCH', url: '/api/config/shared', payload: { code: '[mqtt]\n[mqtt]\n' } });
    assert.equal(dup.statusCode, 400);
    assert.match(dup.json().error, /Duplicate section \[mqtt\]/);
  });

  it('PATCH round trip keeps the stored credentials and records history without secrets', async () => {
    const served = (await h.app.inject({ method: 'GET', url: '/api/config/files/config.ini' })).body;
    const edited = served.replace('broker_port=1883', 'broker_port=1884');
    const r = await h.app.inject({ method: 'PATCH', url: '/api/config/files/config.ini', payload: { code: edited } });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'success' });
    const stored = readFileSync(join(h.dataDir, 'config', 'config.ini'), 'utf8');
    assert.match(stored, /^username=leader$/m);
    assert.match(stored, /^password=leader-secret-1$/m);
    assert.match(stored, /^browser_password=browser-secret-1$/m);
    assert.match(stored, /broker_port=1884/);
    assert.doesNotMatch(stored, /^username=browser$/m);
    const hist = await h.app.inject({ method: 'GET', url: '/api/config/files/config.ini/history' });
    assert.equal(hist.statusCode, 200);
    const rows = hist.json();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].filename, 'config.ini');
    assert.match(rows[0].data, /broker_port=1884/);
    assert.doesNotMatch(rows[0].data, /secret/);
    const shared = await h.app.inject({ method: 'GET', url: '/api/config/shared/history' });
    assert.equal(shared.json().length, 1);
  });

  it('unit-specific files through /api/config/units/{u}/specific', async () => {
    const r = await h.app.inject({ method: 'PATCH', url: '/api/config/units/unit2/specific', payload: { code: '[stirring.config]\ntarget_rpm=650\n' } });
    assert.equal(r.statusCode, 200);
    assert.ok(existsSync(join(h.dataDir, 'config', 'config_unit2.ini')));
    const g = await h.app.inject({ method: 'GET', url: '/api/config/units/unit2/specific' });
    assert.match(g.body, /target_rpm=650/);
    const o = await h.app.inject({ method: 'GET', url: '/api/config/units/unit2' });
    assert.equal(o.json().unit2['stirring.config'].target_rpm, '650');
  });

  it('file names cannot leave the directory or be anything but config*.ini', async () => {
    for (const name of ['..%2Fleader.sqlite', '..%2F..%2Fetc%2Fpasswd.ini', '%2Fetc%2Fpasswd.ini', 'config%00.ini', 'notes.txt', '.config.ini', 'other.ini', 'config_..ini']) {
      for (const method of ['GET', 'PATCH'] as const) {
        const r = await h.app.inject({ method, url: `/api/config/files/${name}`, payload: method === 'PATCH' ? { code: '[mqtt]\n' } : undefined });
        assert.ok(r.statusCode === 400 || r.statusCode === 404, `${method} ${name} -> ${r.statusCode}`);
        assert.ok(isErrorBody(r.json(), r.statusCode), `${method} ${name}`);
      }
    }
    const txt = await h.app.inject({ method: 'GET', url: '/api/config/files/not-a-config.txt' });
    assert.equal(txt.statusCode, 400);
    assert.equal(txt.json().error, 'Must be a .ini file');
    const missing = await h.app.inject({ method: 'GET', url: '/api/config/files/config_unit1.ini' });
    assert.equal(missing.statusCode, 400);
  });

  it('a body without code is a 400', async () => {
    const r = await h.app.inject({ method: 'PATCH', url: '/api/config/files/config.ini', payload: { text: 'x' } });
    assert.equal(r.statusCode, 400);
    assert.ok(isErrorBody(r.json(), 400));
  });
});
