// Experiment profiles: validation errors name the bad key; actions run at their times on the virtual clock;
// a restarted runner resumes a run without doubling an action; the expression language.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../shared/clock.js';
import { createLogger, silentLogger } from '../../shared/logger.js';
import { openDatabase, type Db } from '../../leader/db/open.js';
import { evaluate, interpolate, type ExprContext } from '../../leader/profiles/expr.js';
import { ProfileRunner, type ProfileDeps } from '../../leader/profiles/runner.js';
import { parseProfile } from '../../leader/profiles/schema.js';

function setup(db?: Db, clock = new VirtualClock(), dir?: string) {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'colony-profiles-'));
  mkdirSync(join(dataDir, 'experiment_profiles'), { recursive: true });
  const database = db ?? openDatabase(join(dataDir, 'colony.sqlite'));
  const calls: Array<{ at: number; unit: string; method: string; params: Record<string, unknown> }> = [];
  const published: Array<{ at: number; topic: string; payload: string; retain: boolean }> = [];
  const deps: ProfileDeps = {
    db: database,
    clock,
    log: process.env.DBG ? createLogger({ name: "t", level: "debug" }) : silentLogger(),
    dataDir,
    leaderUnit: 'leader',
    publish: (topic, payload, o) => published.push({ at: clock.now(), topic, payload, retain: !!o.retain }),
    units: {
      call: async (unit, method, params = {}) => {
        calls.push({ at: clock.now(), unit, method, params });
        return {};
      },
    },
    leaderJobs: () => null,
    lookup: async (unit, job, setting) => (setting === 'target_rpm' ? '450.0' : `${unit}:${job}:${setting}`),
  };
  return { runner: new ProfileRunner(deps), deps, calls, published, clock, db: database, dataDir };
}

describe('experiment profiles: parsing', () => {
  it('accepts the demo profile', () => {
    const p = parseProfile(readFileSync('docs/profiles/demo.yaml', 'utf8'));
    assert.equal(p.experiment_profile_name, 'demo_stirring_and_od');
    assert.equal(p.common.jobs.stirring.actions.length, 4);
  });

  const bad: Array<[string, RegExp]> = [
    ['metadata: {}', /experiment_profile_name/],
    ['experiment_profile_name: x\nfoo: 1', /foo|unrecognized/i],
    ['experiment_profile_name: x\ncommon:\n  jobs:\n    stirring:\n      actions:\n        - type: start\n          t: -1', /common\.jobs\.stirring\.actions\.0\.t/],
    ['experiment_profile_name: x\ncommon:\n  jobs:\n    stirring:\n      actions:\n        - type: explode', /unknown action type/],
    ['experiment_profile_name: x\ncommon:\n  jobs:\n    stirring:\n      actions:\n        - type: start\n          t: 5 minutes', /a time is/],
    ['experiment_profile_name: x\ncommon:\n  jobs:\n    stirring:\n      actions:\n        - type: repeat\n          actions: []', /every/],
    ['experiment_profile_name: x\ncommon:\n  jobs:\n    s:\n      actions:\n        - type: log\n          options: {message: hi, level: LOUD}', /level/],
    ['experiment_profile_name: x\npioreactors:\n  u1:\n    jobs:\n      s:\n        actions:\n          - type: update\n            colour: red\n            options: {}', /colour|unrecognized/i],
    ['[1, 2', /invalid YAML/],
    ['- a\n- b', /mapping/],
  ];
  for (const [text, re] of bad) {
    it(`rejects ${JSON.stringify(text.slice(0, 60))}`, () => assert.throws(() => parseProfile(text), re));
  }
});

describe('experiment profiles: expressions', () => {
  const c: ExprContext = { inputs: { od: 1.5, flag: true }, unit: 'u1', experiment: 'e', jobName: 'stirring', hoursElapsed: 2, lookup: async (_u, _j, s) => (s === 'x' ? '{"a": {"b": 3}}' : '12.5') };
  const cases: Array<[string, unknown]> = [
    ['1 + 2 * 3', 7],
    ['2 ** 3 ** 2', 512],
    ['-2 ** 2', -4],
    ['(1 + 2) * 3', 9],
    ['od > 1 and not false', true],
    ['hours_elapsed() >= 2', true],
    ['unit() == u1', true],
    ['ready == ready', true],
    ['u1:stirring:target_rpm > 12', true],
    ['::stirring:x.a.b * 2', 6],
    ['TRUE or False', true],
  ];
  for (const [src, want] of cases) it(`${src} -> ${String(want)}`, async () => assert.equal(await evaluate(src, c), want));
  it('division by zero and chained comparisons are errors', async () => {
    await assert.rejects(evaluate('1 / 0', c), /division by zero/);
    await assert.rejects(evaluate('1 < 2 < 3', c), /chain/);
  });
  it('interpolates ${{ }} in option values, keeping the type of a whole-value expression', async () => {
    assert.equal(await interpolate('${{ od * 2 }}', c), 3);
    assert.equal(await interpolate('od is ${{ od }} on ${{ unit() }}', c), 'od is 1.5 on u1');
  });
});

describe('experiment profiles: running', () => {
  it('the demo starts jobs at t = 0, changes a setting at 2 min and stops at 4 min, on the assigned units', async () => {
    const s = setup();
    s.db.prepare("INSERT INTO experiment_worker_assignments VALUES ('u1', 'exp1', '2026-01-01T00:00:00Z'), ('u2', 'exp1', '2026-01-01T00:00:00Z')").run();
    copyFileSync('docs/profiles/demo.yaml', join(s.dataDir, 'experiment_profiles', 'demo.yaml'));
    const t0 = s.clock.now();
    const info = s.runner.run('demo.yaml', 'exp1');
    assert.equal(s.runner.running().length, 1);
    const nameTopic = `pioreactor/leader/exp1/experiment_profile/${info.job_id}/experiment_profile_name`;
    assert.ok(s.published.some((p) => p.topic === nameTopic && p.payload === 'demo_stirring_and_od' && p.retain));
    await s.clock.advanceAsync(1000);
    const starts = s.calls.filter((c) => c.method === 'jobs.run');
    assert.deepEqual(starts.map((c) => `${c.unit}:${c.params.job}@${c.at - t0}`).sort(), ['u1:od_reading@0', 'u1:stirring@0', 'u2:od_reading@0', 'u2:stirring@0']);
    assert.deepEqual(starts.find((c) => c.params.job === 'stirring')!.params.options, { target_rpm: 400 });
    await s.clock.advanceAsync(2 * 60_000);
    const sets = s.published.filter((p) => p.topic.endsWith('/stirring/target_rpm/set'));
    assert.deepEqual(sets.map((p) => `${p.topic}=${p.payload}@${p.at - t0}`).sort(), ['pioreactor/u1/exp1/stirring/target_rpm/set=600@120000', 'pioreactor/u2/exp1/stirring/target_rpm/set=600@120000']);
    assert.ok(s.published.some((p) => p.topic === 'pioreactor/leader/exp1/logs/experiment_profile/info' && JSON.parse(p.payload).message === 'stirring raised to 600 RPM on u1'));
    await s.clock.advanceAsync(2 * 60_000);
    const stops = s.calls.filter((c) => c.method === 'jobs.stop');
    assert.equal(stops.length, 4);
    assert.ok(stops.every((c) => c.at - t0 === 240_000));
    assert.equal(s.runner.running().length, 0, 'finished');
    assert.ok(s.published.some((p) => p.topic === nameTopic && p.payload === ''));
    const row = s.db.prepare('SELECT experiment_profile_name FROM experiment_profile_runs').get() as { experiment_profile_name: string };
    assert.equal(row.experiment_profile_name, 'demo_stirring_and_od');
  });

  it('a profile that starts at t = 0 and updates at 2 h does so at those times', async () => {
    const s = setup();
    writeFileSync(
      join(s.dataDir, 'experiment_profiles', 'p.yaml'),
      ['experiment_profile_name: two_hours', 'pioreactors:', '  u1:', '    jobs:', '      stirring:', '        actions:', '          - {type: start, t: 0}', '          - {type: update, t: 2h, options: {target_rpm: 700}}', ''].join('\n'),
    );
    const t0 = s.clock.now();
    s.runner.run('p.yaml', 'exp1');
    await s.clock.advanceAsync(10);
    assert.equal(s.calls.length, 1);
    await s.clock.advanceAsync(2 * 3600_000 - 1000);
    assert.equal(s.published.filter((p) => p.topic.endsWith('/set')).length, 0, 'not before 2 h');
    await s.clock.advanceAsync(1000);
    const set = s.published.find((p) => p.topic === 'pioreactor/u1/exp1/stirring/target_rpm/set')!;
    assert.equal(set.at - t0, 2 * 3600_000);
  });

  it('survives a restart mid-profile: resumes from the same start, never doubles an action', async () => {
    const clock = new VirtualClock();
    const a = setup(undefined, clock);
    writeFileSync(
      join(a.dataDir, 'experiment_profiles', 'r.yaml'),
      [
        'experiment_profile_name: restart',
        'pioreactors:',
        '  u1:',
        '    jobs:',
        '      stirring:',
        '        actions:',
        '          - {type: start, t: 0}',
        '          - {type: repeat, t: 10m, every: 10m, max_time: 30m, actions: [{type: update, options: {target_rpm: 500}}]}',
        '          - {type: update, t: 1h, options: {target_rpm: 800}}',
        '          - {type: stop, t: 2h}',
        '',
      ].join('\n'),
    );
    const t0 = clock.now();
    const info = a.runner.run('r.yaml', 'exp1');
    await clock.advanceAsync(25 * 60_000); // start, repeat iterations at 10 and 20 min
    assert.equal(a.calls.length, 1);
    assert.equal(a.published.filter((p) => p.topic.endsWith('/set')).length, 2);
    a.runner.close(); // the leader stops
    await clock.advanceAsync(50 * 60_000); // down until 75 min: the 30 and 40 min iterations and the 1 h update are overdue
    const b = setup(a.db, clock, a.dataDir);
    b.runner.resume();
    assert.deepEqual(b.runner.running().map((r) => r.job_id), [info.job_id]);
    await clock.advanceAsync(1000);
    assert.equal(b.calls.filter((c) => c.method === 'jobs.run').length, 0, 'the start is not repeated');
    const sets = b.published.filter((p) => p.topic.endsWith('/set')).map((p) => p.payload);
    assert.deepEqual(sets.sort(), ['500', '500', '800'], 'overdue: iterations at 30 and 40 min (max_time 30m inclusive), and the 1 h update, once each');
    await clock.advanceAsync(60 * 60_000);
    assert.equal(b.calls.filter((c) => c.method === 'jobs.stop').length, 1);
    assert.equal(b.calls.find((c) => c.method === 'jobs.stop')!.at - t0, 2 * 3600_000);
    assert.equal(b.runner.running().length, 0);
    assert.equal(b.published.filter((p) => p.topic.endsWith('/set')).length, 3, 'nothing doubled');
  });

  it('stop(id) ends a run cleanly; when/wait_until fires on a lookup', async () => {
    const s = setup();
    writeFileSync(
      join(s.dataDir, 'experiment_profiles', 'w.yaml'),
      ['experiment_profile_name: w', 'pioreactors:', '  u1:', '    jobs:', '      stirring:', '        actions:', '          - {type: when, wait_until: "::stirring:target_rpm > 400", actions: [{type: pause, t: 1m}]}', '          - {type: stop, t: 5h}', ''].join('\n'),
    );
    const info = s.runner.run('w.yaml', 'exp1');
    for (let i = 0; i < 5; i++) await s.clock.advanceAsync(10); // the lookup resolves over a few promise turns
    await s.clock.advanceAsync(2 * 60_000);
    assert.ok(s.published.some((p) => p.topic === 'pioreactor/u1/exp1/stirring/$state/set' && p.payload === 'sleeping'));
    assert.equal(s.runner.stop(info.job_id), true);
    await s.clock.advanceAsync(6 * 3600_000);
    assert.equal(s.calls.filter((c) => c.method === 'jobs.stop').length, 0);
    assert.equal((s.db.prepare('SELECT state FROM colony_profile_runs').get() as { state: string }).state, 'stopped');
    assert.throws(() => s.runner.run('../etc/passwd.yaml', 'exp1'), /invalid profile file name/);
  });
});
