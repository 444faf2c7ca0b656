import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminHarness, isErrorBody, type AdminHarness } from './admin-helpers.js';
import { AutomationRegistry } from '../../leader/automations/registry.js';

/** Unzip with python's zipfile (testzip + every entry's text). */
function unzip(buf: Buffer, dir: string): Record<string, string> {
  const p = join(dir, 'out.zip');
  writeFileSync(p, buf);
  const out = execFileSync('python3', [
    '-c',
    'import sys,json,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({n: z.read(n).decode() for n in z.namelist()}))',
    p,
  ]);
  return JSON.parse(String(out)) as Record<string, string>;
}

function seed(h: AdminHarness): void {
  h.db.transaction(() => seedRows(h))();
}

function seedRows(h: AdminHarness): void {
  const db = h.db;
  db.prepare("INSERT INTO experiments (experiment, created_at, description) VALUES ('exp1', '2026-01-01T00:00:00.000Z', 'first'), ('exp 2', '2026-01-02T00:00:00.000Z', 'second')").run();
  const ins = db.prepare('INSERT INTO od_readings (experiment, pioreactor_unit, timestamp, od_reading, angle, channel) VALUES (?, ?, ?, ?, 90, 2)');
  for (let i = 0; i < 3000; i++) {
    const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + i * 5000).toISOString();
    ins.run(i % 3 === 0 ? 'exp 2' : 'exp1', i % 2 ? 'unit1' : 'unit2', ts, 0.1 + i / 3000);
  }
  db.prepare("INSERT INTO growth_rates (experiment, pioreactor_unit, timestamp, rate) VALUES ('exp1', 'unit1', '2026-01-01T01:00:00.000Z', 0.123456789012345678)").run();
}

describe('admin api: descriptors and dataset export', () => {
  let h: AdminHarness;
  beforeEach(async () => {
    h = await adminHarness();
    seed(h);
  });
  afterEach(async () => h.close());

  it('built-in job, automation and chart descriptors, with data-dir overrides', async () => {
    const jobs = (await h.app.inject({ method: 'GET', url: '/api/jobs/descriptors' })).json();
    const names = jobs.map((j: any) => j.job_name);
    for (const j of ['monitor', 'stirring', 'od_reading', 'growth_rate_calculating', 'temperature_automation', 'led_automation', 'dosing_automation', 'add_media', 'add_alt_media', 'remove_waste']) {
      assert.ok(names.includes(j), j);
    }
    const dosing = (await h.app.inject({ method: 'GET', url: '/api/automations/descriptors/dosing' })).json();
    assert.deepEqual(dosing.map((a: any) => a.automation_name).sort(), ['chemostat', 'fed_batch', 'pid_morbidostat', 'silent', 'turbidostat']);
    // The dashboard builds its start form from these: every built-in's defaults must be accepted by the automation.
    for (const d of dosing) {
      const a = new AutomationRegistry().get(d.automation_name)!;
      const options = Object.fromEntries(d.fields.filter((f: any) => f.default !== null && f.default !== undefined).map((f: any) => [f.key, f.default]));
      const r = a.settings.safeParse(options);
      assert.ok(r.success, `${d.automation_name} rejects its own descriptor's defaults: ${r.success ? '' : r.error.message}`);
    }
    mkdirSync(join(h.dataDir, 'ui', 'automations', 'dosing'), { recursive: true });
    writeFileSync(join(h.dataDir, 'ui', 'automations', 'dosing', 'turbidostat.yaml'), 'display_name: Our turbidostat\nautomation_name: turbidostat\ndescription: lab default\nfields:\n  - {key: target_biomass, default: 2.0, label: Target, disabled: false, type: numeric}\n');
    const overridden = (await h.app.inject({ method: 'GET', url: '/api/automations/descriptors/dosing' })).json();
    assert.equal(overridden.find((a: any) => a.automation_name === 'turbidostat').display_name, 'Our turbidostat');
    assert.equal(overridden.length, dosing.length);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/automations/descriptors/temperature' })).json().length, 2);
    const bad = await h.app.inject({ method: 'GET', url: '/api/automations/descriptors/heater' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'Not a valid automation type');
    const charts = (await h.app.inject({ method: 'GET', url: '/api/charts/descriptors' })).json();
    assert.ok(charts.some((c: any) => c.chart_key === 'implied_growth_rate'));
    // A user file overrides a built-in by key and keeps its position; an invalid one is skipped.
    mkdirSync(join(h.dataDir, 'ui', 'jobs'), { recursive: true });
    writeFileSync(join(h.dataDir, 'ui', 'jobs', 'stirring.yaml'), 'display_name: My stirring\njob_name: stirring\npublished_settings: []\n');
    writeFileSync(join(h.dataDir, 'ui', 'jobs', 'broken.yaml'), 'display_name: [\n');
    const again = (await h.app.inject({ method: 'GET', url: '/api/jobs/descriptors' })).json();
    assert.equal(again.length, jobs.length);
    assert.equal(again[names.indexOf('stirring')].display_name, 'My stirring');
  });

  it('lists exportable datasets and previews one', async () => {
    const list = (await h.app.inject({ method: 'GET', url: '/api/datasets/exportable' })).json();
    assert.ok(list.length >= 20);
    assert.ok(list.some((d: any) => d.dataset_name === 'od_readings' && d.has_experiment && d.table === 'od_readings'));
    const prev = await h.app.inject({ method: 'GET', url: '/api/datasets/exportable/od_readings/preview?n_rows=2' });
    assert.equal(prev.statusCode, 200);
    assert.equal(prev.json().length, 2);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/datasets/exportable/nope/preview' })).statusCode, 404);
  });

  it('export: zip of CSVs per dataset and partition, checked with python zipfile', async () => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/datasets/exportable/export',
      payload: { datasets: ['od_readings', 'growth_rates', 'temperature_readings', 'unknown'], experiments: ['<All experiments>'], partition_by_unit: true, partition_by_experiment: true },
    });
    assert.equal(r.statusCode, 200);
    const j = r.json();
    assert.equal(j.result, true);
    assert.match(j.filename, /^export_\d{14}\.zip$/);
    const dl = await h.app.inject({ method: 'GET', url: `/exports/${j.filename}` });
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.headers['content-type'], 'application/zip');
    const files = unzip(dl.rawPayload, h.dataDir);
    const names = Object.keys(files);
    assert.ok(names.includes('od_readings/'));
    assert.ok(names.includes('temperature_readings/'));
    assert.ok(!names.some((n) => n.startsWith('temperature_readings/') && n.endsWith('.csv')));
    const od = names.filter((n) => n.startsWith('od_readings/') && n.endsWith('.csv'));
    assert.equal(od.length, 4, od.join(','));
    assert.ok(od.some((n) => /^od_readings\/od_readings-exp_2-unit1-\d{14}\.csv$/.test(n)));
    let rows = 0;
    for (const n of od) {
      const lines = files[n].trimEnd().split('\r\n');
      assert.equal(lines[0], 'experiment,pioreactor_unit,timestamp,od_reading,angle,channel,timestamp_localtime,hours_since_experiment_created');
      rows += lines.length - 1;
    }
    assert.equal(rows, 3000);
    const gr = names.find((n) => n.startsWith('growth_rates/') && n.endsWith('.csv'))!;
    const grLine = files[gr].split('\r\n')[1].split(',');
    assert.equal(grLine[3], '0.123456789012');
    assert.equal(grLine[grLine.length - 1], '1');
  });

  it('export filters experiments and a time range, and streams straight back with Accept: application/zip', async () => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/datasets/exportable/export',
      headers: { accept: 'application/zip' },
      payload: { datasets: ['od_readings'], experiments: ['exp1'], partition_by_unit: false, partition_by_experiment: false, start_time: '2000-01-01T00:00:00', end_time: '2100-01-01T00:00:00' },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/zip');
    const files = unzip(r.rawPayload, h.dataDir);
    const csvs = Object.keys(files).filter((n) => n.endsWith('.csv'));
    assert.equal(csvs.length, 1);
    assert.match(csvs[0], /od_readings-all_experiments-all_units-/);
    const lines = files[csvs[0]].trimEnd().split('\r\n').slice(1);
    assert.equal(lines.length, 2000);
    assert.ok(lines.every((l) => l.startsWith('exp1,')));
    const none = await h.app.inject({
      method: 'POST',
      url: '/api/datasets/exportable/export',
      headers: { accept: 'application/zip' },
      payload: { datasets: ['od_readings'], experiments: ['exp1'], partition_by_unit: false, partition_by_experiment: false, start_time: '2100-01-01T00:00:00' },
    });
    assert.deepEqual(Object.keys(unzip(none.rawPayload, h.dataDir)), ['od_readings/']);
  });

  it('bad export requests are 400 with the error schema', async () => {
    for (const payload of [{}, { datasets: [], experiments: [] }, { datasets: ['nope'], experiments: [] }, { datasets: ['od_readings'], experiments: 'x' }, { datasets: ['od_readings'], experiments: [], start_time: "'; DROP TABLE x" }]) {
      const r = await h.app.inject({ method: 'POST', url: '/api/datasets/exportable/export', payload });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.ok(isErrorBody(r.json(), 400));
    }
    for (const url of ['/exports/..%2Fleader.sqlite', '/exports/nothing.zip', '/exports/x.txt']) {
      const r = await h.app.inject({ method: 'GET', url });
      assert.ok([400, 404].includes(r.statusCode), url);
    }
  });

  it('a descriptor whose query writes is refused', async () => {
    mkdirSync(join(h.dataDir, 'exportable_datasets'), { recursive: true });
    writeFileSync(
      join(h.dataDir, 'exportable_datasets', 'evil.yaml'),
      'dataset_name: evil\ndisplay_name: Evil\ndescription: null\nhas_experiment: false\nhas_unit: false\ndefault_order_by: null\nquery: DELETE FROM od_readings\n',
    );
    const r = await h.app.inject({ method: 'GET', url: '/api/datasets/exportable/evil/preview' });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().error, /not read-only/);
    assert.equal((h.db.prepare('SELECT COUNT(*) AS n FROM od_readings').get() as { n: number }).n, 3000);
  });
});
