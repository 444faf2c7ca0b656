/** Runs ADMIN_FIXTURES against the admin harness (the shared runner does the same against its seeded DB). */
import assert from 'node:assert/strict';
import { ADMIN_FIXTURES } from './fixtures-admin.js';
import { adminHarness, SILENT, taskResult, type AdminHarness } from './admin-helpers.js';

describe('admin api: fixture rows', () => {
  let h: AdminHarness;
  before(async () => {
    h = await adminHarness({ workers: ['unit1', 'unit2', 'unit3', 'unit4'], units: { unit1: () => ({}), unit2: () => SILENT } });
  });
  after(async () => h.close());

  it('every row answers its status and shape', async () => {
    for (const row of ADMIN_FIXTURES) {
      const r = await h.app.inject({ method: row.method, url: row.path, payload: row.body as any });
      const what = `${row.method} ${row.path}`;
      assert.equal(r.statusCode, row.status, `${what}: ${r.body.slice(0, 300)}`);
      if (row.contentType) assert.match(String(r.headers['content-type']), row.contentType, what);
      if (!row.shape) continue;
      const body = row.status === 202 ? (await taskResult(h.app, r.json())).body.result : r.json();
      const p = row.shape.safeParse(body);
      assert.ok(p.success, `${what}: ${JSON.stringify(body).slice(0, 300)}`);
    }
  });
});
