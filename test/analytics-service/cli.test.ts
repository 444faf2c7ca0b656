/**
 * Issue 9's DONE WHEN, on the built CLI (`npm run build` first) with a local data dir, and the same
 * operations through ColonyAnalytics against an in-process leader's /api/analytics.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColonyAnalytics } from '../../leader/batches/client.js';
import { AnalyticsError, type GoldenProfileDoc } from '../../leader/batches/service.js';
import { CLI, makeDataDir, startTestLeader } from '../leader/cluster.js';
import { openDatabase } from '../../leader/db/open.js';
import { DB_FILE } from '../../leader/batches/client.js';
import { grow, logistic, seedExperiment, stalled } from './growing-runs.js';

const FIX = join(process.cwd(), 'test', 'fixtures', 'sporedb-demo');
const RUNS = ['glucose', 'xylose', 'hydrolysate'];

function copyFixtures(): string {
  const dir = mkdtempSync(join(tmpdir(), 'colony-analytics-fix-'));
  for (const r of RUNS) copyFileSync(join(FIX, `abpdu_rt_${r}_001.csv`), join(dir, `abpdu_rt_${r}_001.csv`));
  return dir;
}

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'analytics', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function inOrder(phases: string[], want: string[]): boolean {
  let i = 0;
  for (const p of phases) if (p === want[i]) i++;
  return i === want.length;
}

describe('analytics CLI (built) on a local data dir', function () {
  this.timeout(120_000);
  before(function () {
    if (!existsSync(CLI)) this.skip();
  });

  it('imports, detects phases, computes mu, builds a golden profile, scores and queries', () => {
    const fx = copyFixtures();
    const dd = mkdtempSync(join(tmpdir(), 'colony-analytics-a-'));
    const profile = join(dd, 'p.json');
    for (const r of RUNS) {
      const res = cli(['import', join(fx, `abpdu_rt_${r}_001.csv`), '--name', r, '--data-dir', dd, '--json']);
      assert.equal(res.code, 0, res.err);
      assert.ok((JSON.parse(res.out) as { rows_imported: number }).rows_imported > 800);
    }
    const batches = cli(['batches', '--data-dir', dd]);
    assert.equal(batches.code, 0, batches.err);
    for (const r of RUNS) assert.match(batches.out, new RegExp(r));

    const phases = cli(['phases', 'glucose', '--data-dir', dd, '--json']);
    assert.equal(phases.code, 0, phases.err);
    const types = (JSON.parse(phases.out) as { phase_type: string }[]).map((p) => p.phase_type);
    assert.ok(inOrder(types, ['lag', 'exponential', 'stationary']), types.join(','));
    assert.match(cli(['phases', 'glucose', '--data-dir', dd]).out, /lag[\s\S]*exponential[\s\S]*stationary/);

    const metrics = cli(['metrics', 'glucose', '--data-dir', dd, '--json']);
    assert.equal(metrics.code, 0, metrics.err);
    const mu = (JSON.parse(metrics.out) as { mu: number }[])[0].mu;
    assert.ok(mu > 0.05 && mu < 2, `mu ${mu}`);

    const golden = cli(['golden', 'glucose', 'xylose', '--variables', 'OD600,pH', '--out', profile, '--data-dir', dd]);
    assert.equal(golden.code, 0, golden.err);
    const p = JSON.parse(readFileSync(profile, 'utf8')) as GoldenProfileDoc;
    assert.deepEqual(p.variables, ['OD600', 'pH']);
    assert.ok(p.elapsed_hours.length > 10);

    const score = (b: string) => {
      const r = cli(['score', profile, b, '--data-dir', dd, '--json']);
      assert.equal(r.code, 0, r.err);
      return (JSON.parse(r.out) as { score: number }).score;
    };
    // Calibrated on glucose and xylose (leave-one-out): a golden run scores high. (The hydrolysate run lies
    // between the two golden runs, see test/analytics/golden.test.ts, so it is not asserted to be lower.)
    assert.equal(p.calibration?.distances.length, 2);
    const sg = score('glucose');
    assert.ok(sg >= 80 && sg <= 100, `glucose ${sg}`);
    assert.ok(score('hydrolysate') >= 0);

    const q = cli(['query', "SELECT OD600 FROM batch WHERE name = 'glucose'", '--data-dir', dd, '--json']);
    assert.equal(q.code, 0, q.err);
    const rows = (JSON.parse(q.out) as { rows: { OD600: number }[] }).rows;
    assert.ok(rows.length > 800 && rows.every((r) => typeof r.OD600 === 'number'));

    const bad = cli(['query', 'SELECT FROM', '--data-dir', dd]);
    assert.equal(bad.code, 1);
    assert.equal(cli(['phases', 'nope', '--data-dir', dd]).code, 1);
    assert.equal(cli(['frobnicate', '--data-dir', dd]).code, 2);
  });
});

describe('ColonyAnalytics against an in-process leader (/api/analytics)', function () {
  this.timeout(120_000);

  it('chooses a golden profile for an experiment and shows each unit\'s running score (use-golden, scores)', () => {
    const dd = mkdtempSync(join(tmpdir(), 'colony-analytics-live-'));
    const db = openDatabase(join(dd, DB_FILE));
    seedExperiment(db, 'ref', ['u1', 'u2']);
    seedExperiment(db, 'live', ['u1', 'u2']);
    grow(db, 'ref', 'u1', (h) => logistic(h, 3), 0, 24);
    grow(db, 'ref', 'u2', (h) => logistic(h, 3.5, 0.55), 0, 24);
    grow(db, 'live', 'u1', (h) => logistic(h, 3.2), 0, 12);
    grow(db, 'live', 'u2', stalled, 0, 12);
    db.close();
    const profile = join(dd, 'ref.json');
    const g = cli(['golden', 'run:ref:u1', 'run:ref:u2', '--variables', 'od_filtered', '--signal', 'od_filtered', '--resolution', '30', '--name', 'reference runs', '--out', profile, '--data-dir', dd]);
    assert.equal(g.code, 0, g.err);
    const none = cli(['scores', 'live', '--data-dir', dd]);
    assert.equal(none.code, 1);
    assert.match(none.err, /no golden profile is chosen for live/);
    assert.equal(cli(['use-golden', profile, '--data-dir', dd]).code, 2, '--experiment is required');
    const use = cli(['use-golden', profile, '--experiment', 'live', '--data-dir', dd]);
    assert.equal(use.code, 0, use.err);
    assert.match(use.out, /runs of live are now scored against reference runs/);
    const s = cli(['scores', 'live', '--now', '--json', '--data-dir', dd]);
    assert.equal(s.code, 0, s.err);
    const units = (JSON.parse(s.out) as { units: { pioreactor_unit: string; score: number }[] }).units;
    const score = (u: string) => units.find((x) => x.pioreactor_unit === u)!.score;
    assert.ok(score('u1') > score('u2'), `u1 ${score('u1')} vs stalled u2 ${score('u2')}`);
    const table = cli(['scores', 'live', '--data-dir', dd]);
    assert.match(table.out, /PIOREACTOR_UNIT +SCORE/);
    assert.match(table.out, /u2/);
  });

  it('does the same operations remotely, with the same shapes and errors', async () => {
    const fx = copyFixtures();
    const leader = await startTestLeader(makeDataDir([]));
    try {
      const c = new ColonyAnalytics({ endpoint: leader.httpUrl, env: {} });
      assert.equal(c.mode, 'remote');
      for (const r of RUNS) assert.ok((await c.importCsv(join(fx, `abpdu_rt_${r}_001.csv`), r)).rows_imported > 800);
      assert.deepEqual((await c.listBatches()).map((b) => b.name).sort(), [...RUNS].sort());
      const types = (await c.detectPhases('glucose')).map((p) => p.phase_type);
      assert.ok(inOrder(types, ['lag', 'exponential', 'stationary']), types.join(','));
      assert.ok((await c.detectPhasesOnline('glucose')).length >= 1);
      const [m] = await c.computeMetrics('glucose');
      assert.ok(m.mu !== null && m.mu > 0.05);
      const p = await c.createGoldenProfile(['glucose', 'xylose'], ['OD600', 'pH']);
      const sg = (await c.scoreBatch(p, 'glucose')).score;
      assert.equal((await c.scoreBatch(p, 'hydrolysate')).scale, 'leave-one-out');
      assert.ok(sg >= 80, `glucose ${sg}`);
      assert.equal((await c.scoreBatch(p.profile_id, 'glucose')).score, sg);
      const q = await c.query("SELECT OD600 FROM batch WHERE name = 'glucose'");
      assert.ok(q.rows.length > 800);
      await c.addAssays('glucose', [{ ts: '2024-01-15T09:02:00Z', variable: 'glucose', value: 10, uncertainty: 0.5, unit: 'g/L', method: 'HPLC' }]);
      const u = await c.getUnifiedView('glucose');
      assert.equal(u[0].telemetry_ts, '2024-01-15T09:00:00.000Z');
      assert.ok(u[0].telemetry.OD600 > 0);
      const csv = await c.export('glucose', 'csv');
      assert.match(String(csv).split('\n')[0], /variable/);
      const parquet = await c.export('glucose', 'parquet');
      assert.equal(parquet!.subarray(0, 4).toString(), 'PAR1');
      const seed = await c.lineage.add({ batch_id: 'glucose', name: 'seed_train', operation_type: 'upstream' });
      const ferm = await c.lineage.add({ batch_id: 'glucose', name: 'fermentation', operation_type: 'upstream', parent_ids: [seed.operation_id] });
      assert.deepEqual((await c.lineage.get('glucose', { from: ferm.operation_id })).map((o) => o.name), ['seed_train']);
      await assert.rejects(c.lineage.link(seed.operation_id, ferm.operation_id), (e: AnalyticsError) => e.status === 409);
      await assert.rejects(c.detectPhases('nope'), (e: AnalyticsError) => e instanceof AnalyticsError && e.status === 404);
      await assert.rejects(c.query('SELECT FROM'), (e: AnalyticsError) => e.status === 400);
      const res = await fetch(`${leader.httpUrl}/api/analytics/align`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"batches": 3}' });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; error_info: { status: number } };
      assert.equal(body.error_info.status, 400);
      assert.equal(await c.deleteBatch('xylose'), true);
      assert.equal(await c.getBatch('xylose'), null);
    } finally {
      await leader.stop();
    }
  });
});
