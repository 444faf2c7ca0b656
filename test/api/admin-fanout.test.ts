import assert from 'node:assert/strict';
import { adminHarness, fail, isErrorBody, SILENT, taskResult, type AdminHarness, type FakeUnit } from './admin-helpers.js';

const cal = { calibration_name: 'c1', curve_type: 'poly', curve_data_: [1, 0], x: 'DC', y: 'RPM' };
const unit1: FakeUnit = (method, params) => {
  switch (method) {
    case 'calibrations.list':
      return params.device ? [cal] : { stirring: [{ ...cal, is_active: true }] };
    case 'calibrations.get':
      return params.name === 'c1' ? cal : fail('not_found', 'nope');
    case 'calibrations.active':
      return { stirring: 'c1' };
    case 'calibrations.create':
      return { msg: 'Calibration created successfully.', path: '/x/c1.json', name: 'c1' };
    case 'calibrations.set_active':
    case 'calibrations.clear_active':
      return { status: 'success' };
    case 'estimators.list':
      return {};
    case 'versions':
      return { app: '0.1.0', hat: '1.2' };
    case 'clock':
      return { status: 'success', clock_time: '2026-01-01T00:00:00.000Z' };
    case 'system.reboot':
      return fail('refused', 'reboot is refused on the sim backend');
    case 'plugins.list':
      return [];
    default:
      return fail('not_found', `unknown method ${method}`);
  }
};

describe('admin api: calibrations, estimators, versions and system fan-out', () => {
  let h: AdminHarness;
  beforeEach(async () => {
    h = await adminHarness({ units: { unit1, unit2: () => SILENT } });
  });
  afterEach(async () => h.close());

  const run = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const r = await h.app.inject({ method, url, payload: payload as any });
    assert.equal(r.statusCode, 202, `${method} ${url}: ${r.body}`);
    const b = r.json();
    assert.equal(b.unit, 'leader');
    assert.equal(b.result_url_path, `/unit_api/task_results/${b.task_id}`);
    const t = await taskResult(h.app, b);
    assert.equal(t.status, 200);
    return t.body.result;
  };

  it('calibrations: broadcast to workers, null for a silent unit, objects tagged with their unit', async () => {
    const all = await run('GET', '/api/workers/$broadcast/calibrations');
    assert.deepEqual(Object.keys(all), ['unit1', 'unit2']);
    assert.equal(all.unit2, null);
    assert.equal(all.unit1.stirring[0].pioreactor_unit, 'unit1');
    assert.equal((await run('GET', '/api/workers/unit1/calibrations/stirring')).unit1[0].calibration_name, 'c1');
    assert.equal((await run('GET', '/api/workers/unit1/calibrations/stirring/c1')).unit1.device, 'stirring');
    assert.equal((await run('GET', '/api/workers/unit1/calibrations/stirring/zz')).unit1, null);
    const active = await run('GET', '/api/workers/$broadcast/active_calibrations');
    assert.equal(active.unit1.stirring.is_active, true);
    assert.equal(active.unit2, null);
    assert.deepEqual((await run('PATCH', '/api/workers/unit1/active_calibrations/stirring/c1')).unit1, { status: 'success' });
    assert.deepEqual((await run('DELETE', '/api/workers/unit1/active_calibrations/stirring')).unit1, { status: 'success' });
    assert.deepEqual(await run('GET', '/api/workers/unit1/estimators'), { unit1: {} });
    const created = await run('POST', '/api/workers/unit1/calibrations/stirring', { calibration_data: 'calibration_name: c1\ncurve_type: poly\n', set_as_active: true });
    assert.equal(created.unit1.msg, 'Calibration created successfully.');
    const createCall = h.units.calls.find((c) => c.method === 'calibrations.create')!;
    assert.deepEqual(createCall.params, { device: 'stirring', body: { calibration_name: 'c1', curve_type: 'poly' }, set_active: true });
  });

  it('calibration create validates its YAML; bad names are 400', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /YAML data is missing/],
      [{ calibration_data: 'calibration_name: c\n', set_as_active: 'yes' }, /Invalid set_as_active/],
      [{ calibration_data: 'a: [' }, /YAML data is not correct/],
      [{ calibration_data: 'curve_type: poly\n' }, /calibration_name/],
      [{ calibration_data: 'calibration_name: ../../x\n' }, /calibration_name/],
    ];
    for (const [payload, re] of cases) {
      const r = await h.app.inject({ method: 'POST', url: '/api/workers/unit1/calibrations/stirring', payload: payload as any });
      assert.equal(r.statusCode, 400);
      assert.ok(isErrorBody(r.json(), 400));
      assert.match(r.json().error, re);
    }
    for (const url of ['/api/workers/unit1/calibrations/..%2Fx', '/api/workers/bad%20unit/calibrations', '/api/workers/unit1/calibrations/stirring/.hidden']) {
      const r = await h.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 400, url);
    }
  });

  it('calibration sessions: $broadcast refused, a unit error is 502', async () => {
    const b = await h.app.inject({ method: 'POST', url: '/api/workers/$broadcast/calibrations/sessions', payload: { protocol_name: 'p', target_device: 'stirring' } });
    assert.equal(b.statusCode, 400);
    const r = await h.app.inject({ method: 'POST', url: '/api/workers/unit1/calibrations/sessions', payload: { protocol_name: 'p', target_device: 'stirring' } });
    assert.equal(r.statusCode, 502);
    assert.ok(isErrorBody(r.json(), 502));
  });

  it('versions, clock, reboot: the leader answers for itself, the sim refuses with a reason, silent is null', async () => {
    assert.deepEqual(await run('GET', '/api/units/$broadcast/versions/app'), { leader: { version: '0.1.0-test' }, unit1: { version: '0.1.0' }, unit2: null });
    const clock = await run('GET', '/api/units/$broadcast/system/utc_clock');
    assert.equal(clock.leader.status, 'success');
    assert.equal(clock.unit1.clock_time, '2026-01-01T00:00:00.000Z');
    const reboot = await run('POST', '/api/units/$broadcast/system/reboot');
    assert.match(reboot.unit1.error, /refused on the sim/);
    assert.match(reboot.leader.error, /systemctl/);
    assert.equal(reboot.unit2, null);
    assert.deepEqual(Object.keys(await run('POST', '/api/units/unit2/system/shutdown')), ['unit2']);
    const upd = await h.app.inject({ method: 'POST', url: '/api/system/update_next_version' });
    assert.equal(upd.statusCode, 403);
    assert.ok(isErrorBody(upd.json(), 403));
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/api/local_access_point' })).json(), { active: false });
  });
});
