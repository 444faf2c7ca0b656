import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { importCsv, parseCsv } from '../../leader/analytics/ingest-csv.js';
import { parseTimestamp } from '../../leader/analytics/ingest-table.js';
import { importXlsx, readXlsx } from '../../leader/analytics/ingest-xlsx.js';
import { convertUnit, detectUnitFromHeader } from '../../leader/analytics/units.js';
import { matchColumn } from '../../leader/analytics/vocabulary.js';
import { demoImport, fixture } from './demo.js';

const near = (a: number | null, b: number): void => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

describe('analytics units and vocabulary', () => {
  it('sporedb-analytics.md §11 vector: unit conversions K, F, mg/L, mg/mL, g/mL, mL, min, s', () => {
    near(convertUnit(310.15, 'K', 'C').value, 37);
    near(convertUnit(98.6, 'F', 'C').value, 37);
    near(convertUnit(5000, 'mg/L', 'g/L').value, 5);
    near(convertUnit(5, 'mg/mL', 'g/L').value, 5);
    near(convertUnit(0.001, 'g/mL', 'g/L').value, 1);
    near(convertUnit(1000, 'mL', 'L').value, 1);
    near(convertUnit(120, 'min', 'h').value, 2);
    near(convertUnit(1800, 's', 'h').value, 0.5);
  });
  it('sporedb-analytics.md §11 vector: "frobbles" -> (null, warning naming frobbles); non-finite refused', () => {
    const r = convertUnit(1, 'frobbles', 'g/L');
    assert.equal(r.value, null);
    assert.match(r.warning ?? '', /frobbles/);
    assert.match(convertUnit(NaN, 'K', 'C').warning ?? '', /non-finite/);
  });
  it('sporedb-analytics.md §11 vector: detect_unit_from_header glucose_mg_mL -> mg/mL, temp_K -> K, pH -> none', () => {
    assert.equal(detectUnitFromHeader('glucose_mg_mL'), 'mg/mL');
    assert.equal(detectUnitFromHeader('temp_K'), 'K');
    assert.equal(detectUnitFromHeader('pH'), null);
  });
  it('sporedb-analytics.md §11 vector: match_column pH -> ph 1.0; DO / dissolved_oxygen -> dissolved_oxygen 1.0; near misses >= 0.7', () => {
    assert.deepEqual(matchColumn('pH'), { variable: 'ph', confidence: 1 });
    assert.deepEqual(matchColumn('DO'), { variable: 'dissolved_oxygen', confidence: 1 });
    assert.deepEqual(matchColumn('dissolved_oxygen'), { variable: 'dissolved_oxygen', confidence: 1 });
    for (const h of ['dissolved_oxygen_pct', 'Dissolved Oxygen', 'disolved_oxygen']) {
      const m = matchColumn(h);
      assert.equal(m?.variable, 'dissolved_oxygen', h);
      assert.ok((m?.confidence ?? 0) >= 0.7);
    }
    assert.deepEqual(matchColumn('feeding_rate'), { variable: 'feed_rate', confidence: 0.86 });
    assert.equal(matchColumn('zzz'), null);
  });
});

describe('analytics CSV ingestion', () => {
  it('RFC 4180: quoted fields with delimiters, doubled quotes, embedded newlines, CRLF; line numbers kept', () => {
    const { records, warnings } = parseCsv('a,b\r\n"x,1","he said ""hi"""\r\n"multi\nline",2\n3,4');
    assert.deepEqual(
      records.map((r) => r.cells),
      [
        ['a', 'b'],
        ['x,1', 'he said "hi"'],
        ['multi\nline', '2'],
        ['3', '4'],
      ],
    );
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 3, 5],
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(parseCsv('a;b\n1;2').records[1].cells, ['1', '2']);
  });

  it('sporedb-analytics.md §11 fixture sample_telemetry.csv: 25 records; QUIRK fixes: OD600 stays OD600, rows counted as rows (5)', () => {
    const r = importCsv(fixture('sample_telemetry.csv'));
    assert.equal(r.recordsImported, 25);
    assert.equal(r.rowsImported, 5);
    assert.deepEqual(r.columnsMapped, { pH: 'ph', 'DO_%': 'dissolved_oxygen', temp_C: 'temperature', OD600: 'OD600', glucose_g_L: 'glucose' });
    assert.deepEqual(r.unitsConverted, {});
    assert.equal(r.timeKind, 'absolute');
    const od = r.records.filter((x) => x.variable === 'OD600').map((x) => x.value);
    assert.deepEqual(od, [0.5, 0.8, 1.2, 1.8, 2.5]);
    assert.equal(r.records[0].ts, Date.UTC(2026, 3, 20, 8, 0, 0));
    assert.equal(r.records.at(-1)?.ts, Date.UTC(2026, 3, 20, 9, 0, 0));
    assert.ok(r.notes.some((n) => /UTC/.test(n)), 'naive timestamps are noted, not warned');
    assert.deepEqual(r.warnings, []);
  });

  it('sporedb-analytics.md §11 fixture sample_elapsed.csv: needs inoculation_ts; K->C and mg/L->g/L; biomass fuzzy ~0.74', () => {
    assert.throws(() => importCsv(fixture('sample_elapsed.csv')), /inoculation_ts/);
    const ino = Date.UTC(2026, 3, 20, 8);
    const r = importCsv(fixture('sample_elapsed.csv'), { inoculationTs: ino });
    assert.equal(r.timeKind, 'elapsed');
    assert.equal(r.recordsImported, 20);
    assert.equal(r.rowsImported, 5);
    assert.deepEqual(r.unitsConverted, { temp_K: ['K', 'C'], biomass_mg_L: ['mg/L', 'g/L'] });
    assert.equal(r.confidence.biomass_mg_L, 0.74);
    const temp = r.records.filter((x) => x.variable === 'temperature').map((x) => x.value);
    [37.0, 37.1, 37.0, 36.9, 37.0].forEach((v, i) => near(temp[i], v));
    const bio = r.records.filter((x) => x.variable === 'biomass');
    [0.5, 0.8, 1.2, 1.8, 2.5].forEach((v, i) => near(bio[i].value, v));
    assert.equal(bio[0].unit, 'g/L');
    assert.equal(bio[4].ts, ino + 3_600_000);
  });

  it('sporedb-analytics.md §7: questionable values warn with the line and are kept; one row with 2 variables = 2 records', () => {
    const r = importCsv('timestamp,pH,DO\n2026-01-01T00:00:00Z,15,-3\n');
    assert.equal(r.recordsImported, 2);
    assert.equal(r.rowsImported, 1);
    assert.ok(r.warnings.some((w) => /Line 2: questionable ph value 15 \(> 14\)/.test(w)));
    assert.ok(r.warnings.some((w) => /questionable dissolved_oxygen value -3/.test(w)));
  });

  it('QUIRK fix: bad rows and "nan" cells become warnings with line numbers, never a crash', () => {
    const text = 'timestamp,pH,OD600\n2026-01-01 00:00:00,7,0.1\nnot a time,7,0.2\n2026-01-01 00:10:00,nan,abc\n2026-01-01 00:20:00,7.1,\n"2026-01-01 00:30:00",7.2,0.4';
    const r = importCsv(text);
    assert.equal(r.rowsImported, 3);
    assert.equal(r.recordsImported, 5);
    assert.ok(r.warnings.some((w) => w.startsWith('Line 3: cannot parse timestamp')));
    assert.ok(r.warnings.some((w) => w.startsWith('Line 4, pH: not a finite number "nan"')));
    assert.ok(r.warnings.some((w) => w.startsWith('Line 4, OD600: not a finite number "abc"')));
  });

  it('unit row, elapsed minutes and time zones', () => {
    const r = importCsv('time_min,glucose,temp\nmin,mg/L,F\n0,5000,98.6\n30,4000,98.6', { inoculationTs: 0 });
    assert.equal(r.rowsImported, 2);
    near(r.records[0].value, 5);
    near(r.records[1].value, 37);
    assert.equal(r.records[2].ts, 30 * 60_000);
    assert.equal(parseTimestamp('2026-01-01T01:00:00+01:00')?.ms, Date.UTC(2026, 0, 1));
    assert.equal(parseTimestamp('2026-01-01T00:00:00.250Z')?.ms, Date.UTC(2026, 0, 1) + 250);
  });

  for (const [run, rows, start, end] of [
    ['glucose', 865, '2024-01-15T08:00:00Z', '2024-01-18T08:00:00Z'],
    ['xylose', 1153, '2024-01-20T08:00:00Z', '2024-01-24T08:00:00Z'],
    ['hydrolysate', 1009, '2024-01-25T08:00:00Z', '2024-01-28T20:00:00Z'],
  ] as const) {
    it(`sporedb-analytics.md §11 demo ${run}: ${rows} rows, 6 variables x rows records, ${start} .. ${end}`, () => {
      const r = demoImport(run);
      assert.equal(r.rowsImported, rows);
      assert.equal(r.recordsImported, 6 * rows);
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(Object.values(r.columnsMapped).sort(), ['OD600', 'agitation', 'dissolved_oxygen', 'feed_rate', 'ph', 'temperature']);
      const ts = r.records.map((x) => x.ts);
      assert.equal(Math.min(...ts), Date.parse(start));
      assert.equal(Math.max(...ts), Date.parse(end));
    });
  }
});

async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('analytics XLSX ingestion (own zip + XML reader)', () => {
  it('reads shared strings, numbers, dates and booleans from an exceljs-written workbook', async () => {
    const buf = await workbook((wb) => {
      const s = wb.addWorksheet('Data & more');
      s.addRow(['timestamp', 'pH', 'OD600', 'note']);
      s.addRow([new Date(Date.UTC(2026, 0, 1, 8)), 7, 0.5, 'a <b> & "c"']);
      s.addRow([new Date(Date.UTC(2026, 0, 1, 9)), 6.9, 0.8, true]);
    });
    const sheets = readXlsx(buf);
    assert.equal(sheets[0].name, 'Data & more');
    assert.deepEqual(sheets[0].rows[0], ['timestamp', 'pH', 'OD600', 'note']);
    assert.equal(sheets[0].rows[1][3], 'a <b> & "c"');
    assert.equal(sheets[0].rows[2][3], 'TRUE');
    assert.equal(parseTimestamp(sheets[0].rows[1][0])?.ms, Date.UTC(2026, 0, 1, 8));
  });

  it('multi-sheet workbook: metadata, telemetry and assay sheets; bad rows become warnings with sheet row numbers', async () => {
    const buf = await workbook((wb) => {
      const m = wb.addWorksheet('Metadata');
      m.addRow(['strain', 'CHO-K1']);
      m.addRow(['scale_liters', 2]);
      const t = wb.addWorksheet('Online');
      t.addRow(['timestamp', 'pH', 'OD600']);
      t.addRow(['2026-01-01T00:00:00Z', 7, 0.1]);
      t.addRow(['garbage', 7, 0.1]);
      t.addRow(['2026-01-01T01:00:00Z', 7, 'x']);
      const a = wb.addWorksheet('Assays');
      a.addRow(['timestamp', 'glucose', 'method']);
      a.addRow(['2026-01-01T00:00:00Z', 20, 'HPLC']);
      wb.addWorksheet('Notes').addRow(['hello']);
    });
    const r = importXlsx(buf);
    assert.equal(r.mode, 'multi-sheet');
    assert.deepEqual(r.metadata, { strain: 'CHO-K1', scale_liters: '2' });
    assert.deepEqual(
      r.sheets.map((s) => s.kind),
      ['metadata', 'telemetry', 'assay', 'unknown'],
    );
    assert.equal(r.rowsImported, 3);
    assert.ok(r.warnings.some((w) => w === `Sheet 'Online': Line 3: cannot parse timestamp "garbage", row skipped`));
    assert.ok(r.warnings.some((w) => /Sheet 'Online': Line 4, OD600/.test(w)));
    assert.ok(r.warnings.some((w) => /Sheet 'Notes'/.test(w)));
  });

  it('batch-per-sheet mode when sheets share headers; a sheet without time column is a warning, not a crash', async () => {
    const buf = await workbook((wb) => {
      for (const name of ['run1', 'run2']) {
        const s = wb.addWorksheet(name);
        s.addRow(['timestamp', 'OD600']);
        s.addRow(['2026-01-01T00:00:00Z', 0.1]);
        s.addRow(['2026-01-01T01:00:00Z', 0.2]);
      }
    });
    const r = importXlsx(buf);
    assert.equal(r.mode, 'batch-per-sheet');
    assert.deepEqual(
      r.sheets.map((s) => s.result?.rowsImported),
      [2, 2],
    );
    const bad = await workbook((wb) => wb.addWorksheet('Online').addRow(['time', 'OD600']));
    const rb = importXlsx(bad);
    assert.ok(rb.warnings.some((w) => /Sheet 'Online'/.test(w)));
    assert.throws(() => readXlsx(Buffer.from('not a zip')), /zip/);
  });
});
