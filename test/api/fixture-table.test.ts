// The `/api` fixture table (reference/pioreactor-api.md, release 26.2.26): every row goes through fastify
// inject() against a seeded SQLite database, with a real aedes broker, TaskStore and UnitRequestClient; status,
// error schema and JSON shape are checked per row (202 rows: the task's final result). Then every endpoint of the
// seed list (test/fixtures/seed-001-endpoints.txt) must reach a route, never "route not found".
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_FIXTURES } from './fixtures-core.js';
import type { FixtureRow } from './fixture-types.js';
import { ErrorSchema, makeHarness, pollTask, send, type Harness } from './harness.js';


const HERE = join(process.cwd(), 'test', 'api');

/** The other half's rows (fixtures-admin.ts), when that file has landed. */
async function adminFixtures(): Promise<FixtureRow[] | null> {
  if (!existsSync(join(HERE, 'fixtures-admin.ts'))) return null;
  const spec = './fixtures-admin.js';
  const m = (await import(spec)) as { ADMIN_FIXTURES?: FixtureRow[] };
  return m.ADMIN_FIXTURES ?? null;
}

export function seedEndpoints(): Array<{ method: string; template: string }> {
  return readFileSync(join(process.cwd(), 'test', 'fixtures', 'seed-001-endpoints.txt'), 'utf8')
    .split('\n')
    .filter((l) => /^(GET|POST|PUT|PATCH|DELETE) \/api\//.test(l))
    .map((l) => {
      const [method, template] = l.trim().split(' ');
      return { method, template };
    });
}

/** Seed endpoints in the admin half (config, profiles, datasets, calibrations, estimators, plugins, system, descriptors). */
export function isAdminArea(t: string): boolean {
  if (/experiments\/\{experiment\}\/experiment_profiles/.test(t)) return false;
  return /\/(config|datasets|experiment_profiles|calibration_protocols|calibrations|active_calibrations|estimators|active_estimators|plugins|versions|system|zipped_dot_pioreactor|import_zipped_dot_pioreactor|local_access_point|utc_clock)(\/|$)|\/descriptors/.test(t);
}

async function checkRow(h: Harness, row: FixtureRow): Promise<void> {
  const label = `${row.method} ${row.path}`;
  const r = await send(h.app, row.method, row.path, row.body);
  assert.equal(r.statusCode, row.status, `${label}: status ${r.statusCode}, body ${r.body.slice(0, 500)}`);
  if (row.contentType) {
    assert.match(String(r.headers['content-type']), row.contentType, label);
    return;
  }
  const body = r.body.length ? (r.json() as unknown) : null;
  if (r.statusCode >= 400) {
    const e = ErrorSchema.safeParse(body);
    assert.ok(e.success, `${label}: error schema: ${r.body.slice(0, 300)}`);
    assert.equal((body as { error_info: { status: number } }).error_info.status, r.statusCode, label);
    return;
  }
  let value: unknown = body;
  if (r.statusCode === 202 && body && typeof body === 'object' && 'task_id' in body) {
    const ref = body as { unit: string; task_id: string; result_url_path: string };
    assert.equal(ref.result_url_path, `/unit_api/task_results/${ref.task_id}`, label);
    assert.equal(ref.unit, h.ctx.unitName, label);
    const done = await pollTask(h.app, ref);
    assert.equal(done.status, 200, `${label}: task ${JSON.stringify(done.body)}`);
    assert.equal(done.body.status, 'complete');
    value = done.body.result;
  }
  if (row.shape) {
    const s = row.shape.safeParse(value);
    assert.ok(s.success, `${label}: shape: ${s.success ? '' : s.error.message} in ${JSON.stringify(value).slice(0, 600)}`);
  }
}

describe('api fixture table (core, and admin when present)', function () {
  this.timeout(120_000);
  let h: Harness;
  let admin: FixtureRow[] | null = null;

  before(async () => {
    h = await makeHarness();
    admin = await adminFixtures();
  });
  after(async () => h?.close());

  it('answers every core row with its status, error schema and shape', async () => {
    for (const row of CORE_FIXTURES) await checkRow(h, row);
  });

  it('answers every admin row (fixtures-admin.ts), once it exists', async function () {
    if (!admin) this.skip();
    this.timeout(600_000);
    const fresh = await makeHarness();
    try {
      for (const row of admin!) await checkRow(fresh, row);
    } finally {
      await fresh.close();
    }
  });

  it('sends JSON with the error schema for unknown routes', async () => {
    const r = await send(h.app, 'GET', '/api/no/such/route');
    assert.equal(r.statusCode, 404);
    assert.ok(ErrorSchema.safeParse(r.json()).success);
  });

  it('covers every core seed endpoint with fixture rows', () => {
    const core = new Set(CORE_FIXTURES.map((r) => `${r.method} ${r.template}`));
    const adminSet = new Set((admin ?? []).map((r) => `${r.method} ${r.template}`));
    const missing = seedEndpoints().filter((e) => !core.has(`${e.method} ${e.template}`) && !adminSet.has(`${e.method} ${e.template}`));
    const coreMissing = missing.filter((e) => !isAdminArea(e.template));
    assert.deepEqual(coreMissing, [], 'core seed endpoints without a fixture row');
    if (admin) assert.deepEqual(missing, [], 'seed endpoints covered by neither fixture table');
  });

  it('routes every seed endpoint (no "route not found")', () => {
    const eps = seedEndpoints();
    assert.equal(eps.length, 110);
    // hasRoute matches the path pattern, whatever the parameter names; nothing is sent, so nothing acts.
    const notFound = eps
      .filter((e) => !h.app.hasRoute({ method: e.method as 'GET', url: e.template.replace(/\{(\w+)\}/g, ':$1') }))
      .map((e) => `${e.method} ${e.template}`);
    const pendingAdmin = admin ? [] : notFound.filter((x) => isAdminArea(x.split(' ')[1]));
    assert.deepEqual(notFound.filter((x) => !pendingAdmin.includes(x)), [], 'seed endpoints without a route');
    // And a sample of GETs with real parameters reaches a handler (its own answer, not the not-found handler).
    return Promise.all(
      ['/api/experiments/zz-none', '/api/workers/zz-none', '/api/experiments/zz-none/time_series/od_readings'].map(async (p) => {
        const r = await send(h.app, 'GET', p);
        assert.ok(!(r.statusCode === 404 && String((r.json() as { error: string }).error).startsWith('The requested URL')), p);
      }),
    );
  });
});
