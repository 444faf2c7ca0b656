// The analytics query DSL: every example of reference §6 compiles to the expected SQL and params AND runs
// on a real in-memory SQLite built from ANALYTICS_SCHEMA; each compiler QUIRK (a)-(f) is fixed; hostile
// input fails with a DslError that names line and column.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ANALYTICS_SCHEMA, analyticsSchemaSql, compileQuery, DslError, parseQuery } from '../../leader/analytics/dsl/index.js';

type Row = Record<string, unknown>;

function seededDb(): Database.Database {
  const db = new Database(':memory:');
  for (const stmt of analyticsSchemaSql()) db.exec(stmt);
  const batch = db.prepare(
    'INSERT INTO batches (id, name, status, strain, media, scale, operator, created_at, started_at, ended_at, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
  );
  batch.run('B001', 'CHO-Run-001', 'harvested', 'CHO-K1', 'CD-CHO', 2, 'ana', '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', '2026-01-03T00:00:00.000Z', '["pilot"]');
  batch.run('B002', 'CHO-Run-002', 'running', 'CHO-K1', 'CD-CHO', 2, 'ben', '2026-01-02T00:00:00.000Z', null, null, '[]');
  batch.run('B003', 'Ecoli-Run-001', 'running', 'E. coli BL21', 'LB', 1, 'ana', '2026-01-03T00:00:00.000Z', null, null, '[]');
  const metric = db.prepare('INSERT INTO batch_metrics (batch_id, phase, mu, qp, yx_s, yp_s, r_squared) VALUES (?,?,?,?,?,?,?)');
  metric.run('B001', 'exponential', 0.3, null, 0.45, null, 0.99);
  metric.run('B002', 'exponential', 0.5, null, 0.4, null, 0.98);
  metric.run('B003', 'exponential', 0.7, null, 0.5, null, 0.97);
  metric.run('B003', 'stationary', 0.01, null, null, null, 0.5);
  const phase = db.prepare('INSERT INTO phases (batch_id, phase, start_h, end_h, confidence) VALUES (?,?,?,?,?)');
  phase.run('B001', 'lag', 0, 2, 1);
  phase.run('B001', 'exponential', 2, 10, 1);
  phase.run('B002', 'exponential', 3, 9, 1);
  const tel = db.prepare('INSERT INTO telemetry (batch_id, timestamp, elapsed_h, variable, value, unit) VALUES (?,?,?,?,?,?)');
  for (const [i, od, ph] of [[0, 0.5, 7.0], [1, 0.8, 6.9], [2, 1.2, 6.8]] as const) {
    const ts = `2026-01-01T0${i + 1}:00:00.000Z`;
    tel.run('B001', ts, i, 'OD600', od, 'AU');
    tel.run('B001', ts, i, 'ph', ph, null);
    tel.run('B002', ts, i, 'OD600', od * 2, 'AU');
  }
  db.prepare('INSERT INTO golden_profiles (id, name, variables, source_batch_ids, created_at) VALUES (?,?,?,?,?)')
    .run('profile_1', 'gold', '["OD600"]', '["B001","B002"]', '2026-02-01T00:00:00.000Z');
  return db;
}

function run(db: Database.Database, dsl: string): Row[] {
  const { sql, params } = compileQuery(dsl);
  return db.prepare(sql).all(...params) as Row[];
}

/** Asserts `fn` throws a DslError whose message matches `detail` and names the given line and column. */
function assertDslError(fn: () => unknown, detail: RegExp, line: number, column: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DslError, `expected DslError, got ${String(e)}`);
    assert.match(e.message, detail);
    assert.match(e.message, new RegExp(`at line ${line}, column ${column}$`));
    assert.equal(e.line, line);
    assert.equal(e.column, column);
    return true;
  });
}

const M0 = 'LEFT JOIN batch_metrics m0 ON m0."batch_id" = b."id" AND m0."phase" = ?';
const P = (a: string) => `LEFT JOIN phases ${a} ON ${a}."batch_id" = b."id" AND ${a}."phase" = ?`;

describe('analytics DSL', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = seededDb();
  });
  afterEach(() => db.close());

  describe('reference §6 examples compile and run', () => {
    it('SELECT growth_rate() FROM batches', () => {
      const q = compileQuery('SELECT growth_rate() FROM batches');
      assert.equal(q.sql, `SELECT m0."mu" AS "growth_rate" FROM batches b ${M0}`);
      assert.deepEqual(q.params, ['exponential']);
      assert.deepEqual(run(db, 'SELECT growth_rate() FROM batches').map((r) => r.growth_rate).sort(), [0.3, 0.5, 0.7]);
    });

    it('SELECT phase_duration("exponential") FROM batches WHERE strain = "CHO-K1"', () => {
      const dsl = 'SELECT phase_duration("exponential") FROM batches WHERE strain = "CHO-K1"';
      const q = compileQuery(dsl);
      assert.equal(q.sql, `SELECT (p0."end_h" - p0."start_h") AS "phase_duration" FROM batches b ${P('p0')} WHERE b."strain" = ?`);
      assert.deepEqual(q.params, ['exponential', 'CHO-K1']);
      assert.deepEqual(run(db, dsl).map((r) => r.phase_duration).sort(), [6, 8]);
    });

    it('SELECT growth_rate() FROM batch("B001")', () => {
      const q = compileQuery('SELECT growth_rate() FROM batch("B001")');
      assert.equal(q.sql, `SELECT m0."mu" AS "growth_rate" FROM batches b ${M0} WHERE b."id" = ?`);
      assert.deepEqual(q.params, ['exponential', 'B001']);
      assert.deepEqual(run(db, 'SELECT growth_rate() FROM batch("B001")'), [{ growth_rate: 0.3 }]);
    });

    it('SELECT strain, avg(growth_rate()) FROM batches GROUP BY strain', () => {
      const dsl = 'SELECT strain, avg(growth_rate()) FROM batches GROUP BY strain';
      const q = compileQuery(dsl);
      assert.equal(q.sql, `SELECT b."strain" AS "strain", AVG(m0."mu") AS "avg_growth_rate" FROM batches b ${M0} GROUP BY b."strain"`);
      assert.deepEqual(q.params, ['exponential']);
      const rows = run(db, dsl);
      assert.equal(rows.length, 2);
      assert.ok(Math.abs((rows.find((r) => r.strain === 'CHO-K1')!.avg_growth_rate as number) - 0.4) < 1e-12);
      assert.equal(rows.find((r) => r.strain === 'E. coli BL21')!.avg_growth_rate, 0.7);
    });

    it('SELECT growth_rate() AS mu FROM batches ORDER BY batch.name DESC LIMIT 10', () => {
      const dsl = 'SELECT growth_rate() AS mu FROM batches ORDER BY batch.name DESC LIMIT 10';
      const q = compileQuery(dsl);
      assert.equal(q.sql, `SELECT m0."mu" AS "mu" FROM batches b ${M0} ORDER BY b."name" DESC LIMIT ?`);
      assert.deepEqual(q.params, ['exponential', 10]);
      assert.deepEqual(run(db, dsl), [{ mu: 0.7 }, { mu: 0.5 }, { mu: 0.3 }]);
      assert.deepEqual(run(db, 'SELECT name FROM batches ORDER BY name LIMIT 1'), [{ name: 'CHO-Run-001' }]);
    });

    it('SELECT golden_score() FROM golden_profile("profile_1")', () => {
      const q = compileQuery('SELECT golden_score() FROM golden_profile("profile_1")');
      assert.equal(q.sql, 'SELECT NULL AS "golden_score" FROM golden_profiles g WHERE g."id" = ?');
      assert.deepEqual(q.params, ['profile_1']);
      assert.deepEqual(run(db, 'SELECT golden_score(), name FROM golden_profile("profile_1")'), [{ golden_score: null, name: 'gold' }]);
    });

    it("the seed's SELECT OD600 FROM batch WHERE name = 'CHO-Run-001' works (single quotes, bare batch)", () => {
      const dsl = "SELECT OD600 FROM batch WHERE name = 'CHO-Run-001'";
      const q = compileQuery(dsl);
      assert.equal(q.sql, 'SELECT t0."value" AS "OD600" FROM batches b LEFT JOIN telemetry t0 ON t0."batch_id" = b."id" AND t0."variable" = ? WHERE b."name" = ?');
      assert.deepEqual(q.params, ['OD600', 'CHO-Run-001']);
      assert.deepEqual(run(db, dsl).map((r) => r.OD600), [0.5, 0.8, 1.2]);
    });

    it('several telemetry variables line up on the first one\'s timestamp', () => {
      const rows = run(db, "select timestamp, elapsed_h, od600, pH from batch('B001') order by timestamp desc");
      assert.deepEqual(rows, [
        { timestamp: '2026-01-01T03:00:00.000Z', elapsed_h: 2, OD600: 1.2, ph: 6.8 },
        { timestamp: '2026-01-01T02:00:00.000Z', elapsed_h: 1, OD600: 0.8, ph: 6.9 },
        { timestamp: '2026-01-01T01:00:00.000Z', elapsed_h: 0, OD600: 0.5, ph: 7.0 },
      ]);
      assert.deepEqual(run(db, 'SELECT name, max(OD600) AS peak, count(*) AS n FROM batches GROUP BY name ORDER BY peak DESC'), [
        { name: 'CHO-Run-002', peak: 2.4, n: 3 },
        { name: 'CHO-Run-001', peak: 1.2, n: 3 },
        { name: 'Ecoli-Run-001', peak: null, n: 1 },
      ]);
    });

    it('conditions: precedence NOT > AND > OR, LIKE, comparisons, multi-line text', () => {
      const dsl = 'SELECT name FROM batches\nWHERE NOT status = "running" OR strain LIKE "E.%" AND scale < 1.5\nORDER BY name';
      const q = compileQuery(dsl);
      assert.match(q.sql, / WHERE \(NOT \(b\."status" = \?\) OR \(b\."strain" LIKE \? AND b\."scale" < \?\)\) ORDER BY/);
      assert.deepEqual(q.params, ['running', 'E.%', 1.5]);
      assert.deepEqual(run(db, dsl).map((r) => r.name), ['CHO-Run-001', 'Ecoli-Run-001']);
      assert.deepEqual(run(db, 'SELECT name FROM batches WHERE (status = "running" OR operator = "ana") AND scale >= 2').map((r) => r.name), ['CHO-Run-001', 'CHO-Run-002']);
      assert.deepEqual(run(db, 'SELECT count() AS n FROM batches WHERE created_at >= "2026-01-02" AND NOT (media != "LB")'), [{ n: 1 }]);
    });

    it('parses to the AST of the reference (keywords case-insensitive)', () => {
      const ast = parseQuery('select strain as s from batches where scale > -1.5e0 group by strain order by s asc limit 3');
      assert.equal(ast.select[0]!.alias, 's');
      assert.equal(ast.source.kind, 'all_batches');
      assert.deepEqual(ast.orderBy?.dir, 'ASC');
      assert.equal(ast.limit, 3);
      assert.equal(ast.where?.kind, 'cmp');
    });
  });

  describe('compiler QUIRKs of reference §6', () => {
    it('QUIRK (a) fixed: a domain function used only in WHERE adds its JOIN', () => {
      const dsl = 'SELECT name FROM batches WHERE phase_duration("exponential") > 7';
      const q = compileQuery(dsl);
      assert.equal(q.sql, `SELECT b."name" AS "name" FROM batches b ${P('p0')} WHERE (p0."end_h" - p0."start_h") > ?`);
      assert.deepEqual(q.params, ['exponential', 7]);
      assert.deepEqual(run(db, dsl), [{ name: 'CHO-Run-001' }]);
      assert.deepEqual(run(db, 'SELECT name FROM batches WHERE growth_rate() > 0.4 ORDER BY name').map((r) => r.name), ['CHO-Run-002', 'Ecoli-Run-001']);
    });

    it('QUIRK (b) fixed: params follow placeholder order (SELECT literal, JOIN, source, WHERE, LIMIT)', () => {
      const dsl = 'SELECT name, "tag" AS label FROM batch("B001") WHERE phase_duration("exponential") > 1 LIMIT 5';
      const q = compileQuery(dsl);
      assert.equal(q.sql, `SELECT b."name" AS "name", ? AS "label" FROM batches b ${P('p0')} WHERE b."id" = ? AND (p0."end_h" - p0."start_h") > ? LIMIT ?`);
      assert.deepEqual(q.params, ['tag', 'exponential', 'B001', 1, 5]);
      assert.equal(q.params.length, q.sql.split('?').length - 1);
      assert.deepEqual(run(db, dsl), [{ name: 'CHO-Run-001', label: 'tag' }]);
    });

    it('QUIRK (c) fixed: two phase_duration calls with different phases get two JOINs, one param each', () => {
      const dsl = 'SELECT phase_duration("exponential") AS exp_h, phase_duration("lag") AS lag_h, phase_duration("exponential") AS again FROM batch("B001")';
      const q = compileQuery(dsl);
      assert.equal(q.sql.split('LEFT JOIN').length - 1, 2);
      assert.ok(q.sql.includes(P('p0')) && q.sql.includes(P('p1')));
      assert.deepEqual(q.params, ['exponential', 'lag', 'B001']);
      assert.deepEqual(run(db, dsl), [{ exp_h: 8, lag_h: 2, again: 8 }]);
    });

    it('QUIRK (d) fixed: growth_rate() and yield_coefficient() share one metrics alias, no duplicate JOIN', () => {
      const dsl = 'SELECT name, growth_rate() AS mu, yield_coefficient() AS yxs, growth_rate("stationary") AS mu_s FROM batches ORDER BY name';
      const q = compileQuery(dsl);
      assert.equal(q.sql.split('LEFT JOIN').length - 1, 2);
      assert.deepEqual(q.params, ['exponential', 'stationary']);
      assert.deepEqual(run(db, dsl), [
        { name: 'CHO-Run-001', mu: 0.3, yxs: 0.45, mu_s: null },
        { name: 'CHO-Run-002', mu: 0.5, yxs: 0.4, mu_s: null },
        { name: 'Ecoli-Run-001', mu: 0.7, yxs: 0.5, mu_s: 0.01 },
      ]);
    });

    it('QUIRK (e) fixed: the tables compiled against exist in the schema constant and execute', () => {
      const names = ANALYTICS_SCHEMA.map((t) => t.name);
      for (const t of ['batches', 'telemetry', 'assays', 'phases', 'batch_metrics', 'golden_profiles']) assert.ok(names.includes(t), t);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => r.name);
      assert.deepEqual([...tables].sort(), [...names].sort());
      assert.deepEqual(Object.keys(db.prepare('SELECT * FROM telemetry').get() as Row), ['batch_id', 'timestamp', 'elapsed_h', 'variable', 'value', 'unit']);
      assert.equal(run(db, 'SELECT name FROM batches').length, 3);
    });

    it('QUIRK (f) fixed: `strain` (and SporeDB spellings meta_strain, lifecycle, batch_id) resolve to catalogue columns', () => {
      const a = compileQuery('SELECT name FROM batches WHERE strain = "CHO-K1"');
      const b = compileQuery('SELECT name FROM batches WHERE meta_strain = "CHO-K1"');
      assert.equal(a.sql, b.sql);
      assert.equal(run(db, 'SELECT batch_id, lifecycle FROM batches WHERE b.batch_id = "B002"').length, 1);
      assert.deepEqual(run(db, 'SELECT batch_id, lifecycle FROM batches WHERE b.batch_id = "B002"'), [{ batch_id: 'B002', lifecycle: 'running' }]);
    });

    it('QUIRK batches[cond] fixed: the source filter is applied, not ignored', () => {
      const dsl = 'SELECT name FROM batches[operator = "ana"] WHERE status = "running"';
      const q = compileQuery(dsl);
      assert.equal(q.sql, 'SELECT b."name" AS "name" FROM batches b WHERE b."operator" = ? AND b."status" = ?');
      assert.deepEqual(q.params, ['ana', 'running']);
      assert.deepEqual(run(db, dsl), [{ name: 'Ecoli-Run-001' }]);
    });
  });

  describe('injection attempts and bad input fail with a DslError naming line and column', () => {
    it('string literals never reach SQL text, whatever quotes they contain', () => {
      const evil = `x" OR "1"="1`;
      const q = compileQuery(`SELECT name FROM batches WHERE name = '${evil}'`);
      assert.ok(!q.sql.includes('OR'));
      assert.deepEqual(q.params, [evil]);
      const drop = compileQuery(`SELECT name FROM batches WHERE name = "'; DROP TABLE batches; --"`);
      assert.deepEqual(drop.params, ["'; DROP TABLE batches; --"]);
      assert.ok(!drop.sql.includes('DROP'));
      assert.deepEqual(db.prepare(drop.sql).all(...drop.params), []);
      assert.equal(run(db, 'SELECT name FROM batches').length, 3);
      assert.deepEqual(run(db, `SELECT name FROM batches WHERE name = "CHO-Run-\\"001" OR name = 'it''s'`), []);
    });

    it('unterminated quotes', () => {
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE name = "x'), /unterminated string/, 1, 39);
      assertDslError(() => compileQuery("SELECT name FROM batches\n  WHERE name = 'x"), /unterminated string/, 2, 16);
    });

    it('statement separators', () => {
      assertDslError(() => compileQuery('SELECT name FROM batches; DROP TABLE batches'), /unexpected character ";"/, 1, 25);
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE name = "a";'), /unexpected character ";"/, 1, 42);
    });

    it('comments -- and /*', () => {
      assertDslError(() => compileQuery('SELECT name FROM batches -- WHERE x'), /comments are not allowed/, 1, 26);
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE name = "a" --'), /comments are not allowed/, 1, 43);
      assertDslError(() => compileQuery('SELECT name /* hi */ FROM batches'), /comments are not allowed/, 1, 13);
      assertDslError(() => compileQuery('SELECT name FROM batches\nWHERE scale = 1/*'), /unexpected character|comments/, 2, 16);
    });

    it('identifiers with spaces or odd characters', () => {
      assertDslError(() => compileQuery('SELECT batch id FROM batches'), /expected FROM, found 'id'/, 1, 14);
      assertDslError(() => compileQuery('SELECT name AS "my alias" FROM batches'), /AS needs an identifier/, 1, 16);
      assertDslError(() => compileQuery('SELECT `name` FROM batches'), /unexpected character "`"/, 1, 8);
      assertDslError(() => compileQuery('SELECT batch-id FROM batches'), /expected FROM|unexpected/, 1, 13);
      assertDslError(() => compileQuery('SELECT name FROM batches ORDER BY name; DESC'), /unexpected character ";"/, 1, 39);
    });

    it('60-deep nesting fails cleanly (conditions and function calls)', () => {
      const cond = `SELECT name FROM batches WHERE ${'('.repeat(60)}name = "a"${')'.repeat(60)}`;
      assertDslError(() => compileQuery(cond), /nesting deeper than 50/, 1, 82);
      const calls = `SELECT ${'max('.repeat(60)}scale${')'.repeat(60)} FROM batches`;
      assertDslError(() => compileQuery(calls), /nesting deeper than 50/, 1, 208);
      assert.throws(() => compileQuery(`SELECT name FROM batches WHERE ${'('.repeat(100_000)}`), DslError);
      // 40 levels is fine
      assert.equal(run(db, `SELECT name FROM batches WHERE ${'('.repeat(40)}name = "CHO-Run-002"${')'.repeat(40)}`).length, 1);
    });

    it('unknown identifiers, functions and sources', () => {
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE\n  password = "x"'), /unknown field 'password'/, 2, 3);
      assertDslError(() => compileQuery('SELECT sqlite_master.name FROM batches'), /unknown field 'sqlite_master.name'/, 1, 8);
      assertDslError(() => compileQuery('SELECT a.b.c FROM batches'), /unknown field 'a.b.c'/, 1, 8);
      assertDslError(() => compileQuery('SELECT load_extension("x") FROM batches'), /unknown function 'load_extension'/, 1, 8);
      assertDslError(() => compileQuery('SELECT name FROM sqlite_master'), /unknown source 'sqlite_master'/, 1, 18);
      assertDslError(() => compileQuery('SELECT growth_rate() FROM golden_profile("p")'), /needs a batch source/, 1, 8);
      assertDslError(() => compileQuery('SELECT timestamp FROM batches'), /need a telemetry variable/, 1, 8);
      assertDslError(() => compileQuery('SELECT phase_duration(strain) FROM batches'), /quoted phase name/, 1, 23);
      assertDslError(() => compileQuery('SELECT avg(max(scale)) FROM batches'), /cannot be nested/, 1, 12);
    });

    it('grammar errors: reference "INVALID GARBAGE", "SELECT FROM", bad LIMIT, bad operator', () => {
      assertDslError(() => compileQuery('INVALID GARBAGE'), /expected SELECT, found 'INVALID'/, 1, 1);
      assertDslError(() => compileQuery('SELECT FROM batches'), /expected an expression, found keyword FROM/, 1, 8);
      assertDslError(() => compileQuery('SELECT name FROM batches LIMIT 1.5'), /LIMIT needs a non-negative integer/, 1, 32);
      assertDslError(() => compileQuery('SELECT name FROM batches LIMIT -1'), /LIMIT needs a non-negative integer/, 1, 32);
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE name <> "a"'), /expected an expression/, 1, 38);
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE name'), /expected a comparison operator/, 1, 36);
      assertDslError(() => compileQuery('SELECT name FROM batches WHERE name = "a" garbage'), /unexpected 'garbage'/, 1, 43);
      assertDslError(() => compileQuery('SELECT name AS n, scale AS N FROM batches'), /duplicate column name 'N'/, 1, 19);
    });
  });
});
