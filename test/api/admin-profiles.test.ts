import assert from 'node:assert/strict';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkProfile } from '../../leader/api/profile-schema.js';
import { adminHarness, isErrorBody, type AdminHarness } from './admin-helpers.js';

const GOOD = `experiment_profile_name: demo
metadata:
  author: cam
  description: a demo
common:
  jobs:
    stirring:
      actions:
        - type: start
          t: 0
          options:
            target_rpm: 500
        - type: repeat
          every: 30m
          max_time: 4h
          actions:
            - type: log
              t: 0
              options:
                message: still stirring
pioreactors:
  unit1:
    label: R1
    jobs:
      od_reading:
        actions:
          - type: when
            wait_until: "::od_reading:od > 1"
            actions:
              - type: stop
                t: 0
`;

describe('admin api: experiment profiles', () => {
  let h: AdminHarness;
  beforeEach(async () => {
    h = await adminHarness();
  });
  afterEach(async () => h.close());

  it('validates the §7 schema and names the line of an error', () => {
    assert.equal(checkProfile(GOOD).ok, true);
    const bad = GOOD.replace('          every: 30m', '          evry: 30m');
    const r = checkProfile(bad);
    assert.equal(r.ok, false);
    assert.equal(r.errors[0].line, 14);
    assert.match(r.errors[0].message, /unknown field "evry"/);
    const badType = checkProfile('experiment_profile_name: x\ncommon:\n  jobs:\n    stirring:\n      actions:\n        - type: explode\n');
    assert.equal(badType.errors[0].line, 6);
    const syntax = checkProfile('experiment_profile_name: x\ncommon: [\n');
    assert.equal(syntax.ok, false);
    assert.ok(syntax.errors[0].line >= 2);
    const nested = checkProfile('experiment_profile_name: x\ncommon:\n  jobs:\n    j:\n      actions:\n        - type: repeat\n          actions:\n            - type: repeat\n');
    assert.equal(nested.errors[0].line, 8);
    assert.match(nested.errors[0].message, /not allowed here/);
    assert.equal(checkProfile('metadata: {}\n').errors[0].message.includes('experiment_profile_name'), true);
    assert.equal(checkProfile('experiment_profile_name: x\ncommon:\n  jobs:\n    j:\n      actions:\n        - type: log\n          t: -5m\n          options: {message: hi}\n').ok, false);
  });

  it('upload, list, get, overwrite, delete', async () => {
    const up = await h.app.inject({ method: 'POST', url: '/api/experiment_profiles', payload: { body: GOOD, filename: 'demo.yaml' } });
    assert.equal(up.statusCode, 200);
    assert.deepEqual(up.json(), { status: 'success' });
    const again = await h.app.inject({ method: 'POST', url: '/api/experiment_profiles', payload: { body: GOOD, filename: 'demo.yaml' } });
    assert.equal(again.statusCode, 400);
    assert.match(again.json().error, /already exists/);
    writeFileSync(join(h.dataDir, 'experiment_profiles', 'empty.yml'), '');
    writeFileSync(join(h.dataDir, 'experiment_profiles', 'broken.yaml'), 'nope: [');
    const list = await h.app.inject({ method: 'GET', url: '/api/experiment_profiles' });
    assert.equal(list.statusCode, 200);
    const files = list.json().map((x: any) => x.file).sort();
    assert.deepEqual(files, ['demo.yaml', 'empty.yml']);
    const demo = list.json().find((x: any) => x.file === 'demo.yaml');
    assert.equal(demo.experimentProfile.experiment_profile_name, 'demo');
    assert.equal(demo.fullpath, join(h.dataDir, 'experiment_profiles', 'demo.yaml'));
    assert.equal(list.json().find((x: any) => x.file === 'empty.yml').experimentProfile.experiment_profile_name, 'temporary name: empty');
    const get = await h.app.inject({ method: 'GET', url: '/api/experiment_profiles/demo.yaml' });
    assert.equal(get.statusCode, 200);
    assert.match(String(get.headers['content-type']), /^text\/plain/);
    assert.equal(get.body, GOOD);
    const patch = await h.app.inject({ method: 'PATCH', url: '/api/experiment_profiles/demo.yaml', payload: { body: 'experiment_profile_name: renamed\n' } });
    assert.equal(patch.statusCode, 200);
    const del = await h.app.inject({ method: 'DELETE', url: '/api/experiment_profiles/demo.yaml' });
    assert.equal(del.statusCode, 200);
    assert.equal(existsSync(join(h.dataDir, 'experiment_profiles', 'demo.yaml')), false);
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/experiment_profiles/demo.yaml' })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/experiment_profiles/demo.yaml' })).statusCode, 404);
  });

  it('an invalid upload is a 400 naming the line', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/api/experiment_profiles', payload: { body: 'experiment_profile_name: x\nauthor: me\n', filename: 'x.yaml' } });
    assert.equal(r.statusCode, 400);
    assert.ok(isErrorBody(r.json(), 400));
    assert.match(r.json().error, /^line 2, col 1: .*unknown field "author"/);
  });

  it('names that leave the folder or have the wrong suffix are refused', async () => {
    mkdirSync(join(h.dataDir, 'experiment_profiles'), { recursive: true });
    for (const filename of ['../evil.yaml', '/tmp/evil.yaml', 'a\0.yaml', '.hidden.yaml', 'x.txt', '..', '']) {
      const r = await h.app.inject({ method: 'POST', url: '/api/experiment_profiles', payload: { body: 'experiment_profile_name: x\n', filename } });
      assert.equal(r.statusCode, 400, filename);
      assert.ok(isErrorBody(r.json(), 400));
    }
    assert.equal(existsSync(join(h.dataDir, 'evil.yaml')), false);
    for (const url of ['/api/experiment_profiles/..%2Fconfig%2Fconfig.ini', '/api/experiment_profiles/..%2Fx.yaml', '/api/experiment_profiles/x.txt']) {
      const r = await h.app.inject({ method: 'GET', url });
      assert.ok([400, 404].includes(r.statusCode), url);
      assert.ok(isErrorBody(r.json(), r.statusCode));
      const d = await h.app.inject({ method: 'DELETE', url });
      assert.ok([400, 404].includes(d.statusCode), url);
    }
    assert.ok(existsSync(join(h.dataDir, 'config', 'config.ini')));
  });
});
