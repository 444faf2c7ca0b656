import assert from 'node:assert/strict';
import { alignRuns, type RunData } from '../../leader/analytics/align.js';
import { dtwDistance, dtwFull } from '../../leader/analytics/dtw.js';
import { buildGoldenProfile, createGoldenProfile } from '../../leader/analytics/golden.js';
import { buildCalibratedGoldenProfile, runSamples } from '../../leader/analytics/golden-calibration.js';
import { detectPhases } from '../../leader/analytics/phases.js';
import { binTrajectory, calibratedScore, profileStepHours, scoreAgainstProfile, scoreFromNormalizedDistance } from '../../leader/analytics/scoring.js';
import { demoImport, DEMO_RUNS, toSeries } from './demo.js';
import { rng } from './prng.js';

/** Plain O(nm) DTW with the whole matrix, for reference. */
function naiveDtw(a: number[][], b: number[][]): number {
  const D = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(Infinity));
  D[0][0] = 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const d = Math.sqrt(a[i - 1].reduce((s, v, k) => s + (v - b[j - 1][k]) ** 2, 0));
      D[i][j] = d + Math.min(D[i - 1][j], D[i][j - 1], D[i - 1][j - 1]);
    }
  }
  return D[a.length][b.length];
}

const H = 3_600_000;

function run(name: string, lag: number, seed: number, invert = false, hours = 24): RunData {
  const r = rng(seed);
  const t0 = Date.UTC(2026, 0, 1);
  const ts = Float64Array.from({ length: 50 }, (_, i) => t0 + ((hours * i) / 49) * H);
  const od = ts.map((t) => {
    const h = (t - t0) / H;
    return (invert ? 5 * Math.exp(-0.16 * h) : 0.1 * Math.exp(0.16 * Math.max(0, h - lag))) + r.normal(0, 0.01);
  });
  const ph = ts.map((_, i) => 7 - i * 0.01 + r.normal(0, 0.005));
  const temp = ts.map((_, i) => 3000 + 20 * i + r.normal(0, 1));
  return {
    name,
    series: { OD600: { ts, values: od }, pH: { ts, values: ph }, temperature: { ts, values: temp } },
    phases: [
      { phase: 'lag', startTs: t0 },
      { phase: 'exponential', startTs: t0 + lag * H },
    ],
  };
}

const traj = (r: RunData, vars: string[]): number[][] => Array.from(r.series.OD600.ts, (_, i) => vars.map((v) => r.series[v].values[i]));

describe('analytics DTW', () => {
  it('banded DTW equals full DTW when the band covers the matrix (random lengths and dims)', () => {
    const r = rng(12);
    for (let trial = 0; trial < 60; trial++) {
      const n = r.int(1, 40);
      const m = r.int(1, 40);
      const dims = r.int(1, 3);
      const a = Array.from({ length: n }, () => Array.from({ length: dims }, () => r.normal()));
      const b = Array.from({ length: m }, () => Array.from({ length: dims }, () => r.normal()));
      const fa = Float64Array.from(a.flat());
      const fb = Float64Array.from(b.flat());
      const exp = naiveDtw(a, b);
      assert.ok(Math.abs(dtwDistance(fa, fb, dims, Math.max(n, m)) - exp) < 1e-9, `trial ${trial}`);
      assert.ok(Math.abs(dtwFull(fa, fb, dims) - exp) < 1e-9);
      assert.ok(dtwDistance(fa, fb, dims, 2) >= exp - 1e-9, 'a narrow band can only cost more');
    }
  });
});

describe('analytics alignment, golden profile and scoring', () => {
  it('sporedb-analytics.md §11 vector: score clamp norm 0 -> 100, >= 2 -> 0, 0.5 -> 75, NaN -> 0', () => {
    assert.equal(scoreFromNormalizedDistance(0), 100);
    assert.equal(scoreFromNormalizedDistance(2), 0);
    assert.equal(scoreFromNormalizedDistance(3), 0);
    assert.equal(scoreFromNormalizedDistance(0.5), 75);
    assert.equal(scoreFromNormalizedDistance(NaN), 0);
  });

  it('sporedb-analytics.md §11 property: alignment columns run__var, negative elapsed before the anchor, variable filter, uniform grid', () => {
    const runs = [run('batch-A', 40 / 49 * 24 / 10, 1), run('batch-B', 1, 2), run('batch-C', 6, 3)];
    const a = alignRuns(runs, { variables: ['OD600'] });
    assert.ok('batch-A__OD600' in a.columns && !('batch-A__pH' in a.columns));
    assert.ok(a.elapsedHours[0] < 0);
    const g = alignRuns(runs, { variables: ['OD600'], resolutionMinutes: 30 });
    for (let i = 1; i < g.elapsedHours.length; i++) assert.ok(Math.abs(g.elapsedHours[i] - g.elapsedHours[i - 1] - 0.5) < 1e-10);
    assert.ok(g.elapsedHours.length >= 25);
  });

  it('sporedb-analytics.md §11 property: profile is T x V; identical batch >= 90; inverted < 60; 3 variables on different scales >= 80; mismatch raises', () => {
    const refs = [run('r1', 2, 1), run('r2', 2, 2), run('r3', 2, 3)];
    const p1 = buildGoldenProfile(refs, ['OD600'], { resolutionMinutes: 30 });
    assert.equal(p1.mean[0].length, 1);
    assert.equal(p1.mean.length, p1.elapsedHours.length);
    assert.ok(scoreAgainstProfile(p1, traj(run('same', 2, 1), ['OD600'])).score >= 90);
    assert.ok(scoreAgainstProfile(p1, traj(run('inv', 2, 4, true), ['OD600'])).score < 60);
    const vars = ['OD600', 'pH', 'temperature'];
    const p3 = buildGoldenProfile(refs, vars, { resolutionMinutes: 30 });
    assert.ok(scoreAgainstProfile(p3, traj(run('sim', 2, 5), vars)).score >= 80);
    assert.throws(() => scoreAgainstProfile(p3, traj(run('x', 2, 6), ['OD600'])), /variables/);
  });

  it('QUIRK fix: the golden profile holds variables other than the alignment signal (mean and population std per variable)', () => {
    const refs = [run('r1', 2, 1), run('r2', 2, 2)];
    const aligned = alignRuns(refs, { resolutionMinutes: 60 });
    const p = createGoldenProfile(aligned, ['r1', 'r2'], ['pH', 'temperature']);
    assert.deepEqual(p.variables, ['pH', 'temperature']);
    const t = p.elapsedHours.indexOf(0);
    const a = aligned.columns['r1__pH'][aligned.elapsedHours.indexOf(0)];
    const b = aligned.columns['r2__pH'][aligned.elapsedHours.indexOf(0)];
    assert.ok(Math.abs(p.mean[t][0] - (a + b) / 2) < 1e-12);
    assert.ok(Math.abs(p.std[t][0] - Math.abs(a - b) / 2) < 1e-12);
    assert.throws(() => createGoldenProfile(aligned, ['r1', 'r9'], ['pH']), /Missing columns/);
  });

  it('golden tail: each grid time uses only the runs with data there (mean, sd and count), and the profile ends where fewer than two runs remain', () => {
    // Three runs anchored at the same time; r3 stops at 12 h, r2 at 18 h, r1 goes on to 24 h.
    const runs = [run('r1', 2, 1, false, 24), run('r2', 2, 2, false, 18), run('r3', 2, 3, false, 12)];
    const aligned = alignRuns(runs, { variables: ['OD600'], resolutionMinutes: 30 });
    const p = createGoldenProfile(aligned, ['r1', 'r2', 'r3'], ['OD600']);
    const col = (name: string, h: number) => aligned.columns[`${name}__OD600`][aligned.elapsedHours.indexOf(h)];
    const lastOf = (name: string) => {
      const s = runs.find((r) => r.name === name)!.series.OD600.ts;
      return (s[s.length - 1] - s[0]) / H - 2;
    };
    let tail = 0;
    p.elapsedHours.forEach((h, k) => {
      const have = ['r1', 'r2', 'r3'].filter((n) => h <= lastOf(n) && !Number.isNaN(col(n, h)));
      const mean = have.reduce((a, n) => a + col(n, h), 0) / have.length;
      assert.equal(p.count![k][0], have.length, `count at ${h} h`);
      assert.ok(Math.abs(p.mean[k][0] - mean) < 1e-12, `mean at ${h} h: ${p.mean[k][0]} vs ${mean} over ${have.join('+')}`);
      const sd = Math.sqrt(have.reduce((a, n) => a + (col(n, h) - mean) ** 2, 0) / have.length);
      assert.ok(Math.abs(p.std[k][0] - sd) < 1e-12);
      if (h > lastOf('r3')) tail++;
    });
    assert.ok(tail > 5, 'the profile goes on past the shortest run');
    // It ends where fewer than two runs remain: the last grid time of r2 (r1 alone is not a profile).
    const end = p.elapsedHours[p.elapsedHours.length - 1];
    assert.ok(end <= lastOf('r2') && end > lastOf('r2') - 0.5, `profile ends at ${end} h, r2 at ${lastOf('r2')} h`);
    assert.ok(aligned.elapsedHours[aligned.elapsedHours.length - 1] > end + 5, 'the alignment itself runs on with r1');
    assert.ok(Number.isNaN(col('r3', end)), 'an ended run is not carried forward in the alignment');
  });

  it('score calibration (scoring.ts rule): 100 at distance 0, 84 at the golden leave-one-out scale s, 50 at 2s, 6 at 4s; SporeDB scale without calibration', () => {
    const cal = { method: 'leave-one-out' as const, distances: [0.3, 0.5], scale: 0.4 };
    assert.equal(calibratedScore(0, cal), 100);
    assert.equal(calibratedScore(0.4, cal), 84.09);
    assert.equal(calibratedScore(0.8, cal), 50);
    assert.equal(calibratedScore(1.6, cal), 6.25);
    assert.equal(calibratedScore(NaN, cal), 0);
    assert.equal(calibratedScore(0.5, undefined), 75);
    assert.equal(calibratedScore(0.5, { ...cal, scale: 0 }), 75);
  });

  it('synthetic runs with known truth: golden runs score around each other, a run with half the biomass or a long extra lag scores clearly lower', () => {
    const golden = [run('g1', 2, 1), run('g2', 2.5, 2), run('g3', 1.5, 3)];
    const p = buildCalibratedGoldenProfile(golden, ['OD600'], { resolutionMinutes: 30 });
    assert.equal(p.calibration?.distances.length, 3);
    const score = (r: RunData) => scoreAgainstProfile(p, binTrajectory(runSamples(r, ['OD600']), profileStepHours(p))).score;
    const gs = golden.map(score);
    const spread = Math.max(...gs) - Math.min(...gs);
    const half = run('half', 2, 7);
    half.series.OD600 = { ts: half.series.OD600.ts, values: half.series.OD600.values.map((v) => v / 2) };
    const late = run('late', 9, 8);
    for (const odd of [half, late]) {
      const s = score(odd);
      assert.ok(s < Math.min(...gs) - spread && s < Math.min(...gs) - 10, `${odd.name} ${s} vs golden ${gs.join(', ')}`);
    }
  });

  it('demo runs (test/fixtures/sporedb-demo): on a glucose + xylose profile both golden runs score alike, hydrolysate scores within the golden range or above, and hydrolysate with half its OD scores lower than both by more than they differ', () => {
    const runs: RunData[] = DEMO_RUNS.map((name) => {
      const series = toSeries(demoImport(name));
      return { name, series, phases: detectPhases(series.OD600.ts, series.OD600.values) };
    });
    const halfOd = { ...runs[2], name: 'hydrolysate-half-od', series: { ...runs[2].series, OD600: { ts: runs[2].series.OD600.ts, values: runs[2].series.OD600.values.map((v) => v / 2) } } };
    for (const vars of [['OD600'], ['OD600', 'ph']]) {
      const p = buildCalibratedGoldenProfile(runs.slice(0, 2), vars);
      const score = (r: RunData) => scoreAgainstProfile(p, binTrajectory(runSamples(r, vars), profileStepHours(p))).score;
      const [glu, xyl, hyd, odd] = [...runs, halfOd].map(score);
      const gap = Math.abs(glu - xyl);
      const msg = `${vars.join('+')}: glucose ${glu}, xylose ${xyl}, hydrolysate ${hyd}, half OD ${odd}`;
      // The hydrolysate run lies between the two golden runs on every variable (lag, growth rate, final OD),
      // so it is no outlier against their profile.
      assert.ok(hyd >= Math.min(glu, xyl) - gap, msg);
      assert.ok(odd < Math.min(glu, xyl) - gap && odd < Math.min(glu, xyl) - 10, msg);
    }
  });
});
