import assert from 'node:assert/strict';
import { classifyRate, labelGrowthRates } from '../../leader/analytics/growth-phases.js';
import { slidingGrowthRate, tQuantile975 } from '../../leader/analytics/growth-rate.js';
import { growthRateInWindow } from '../../leader/analytics/metrics.js';
import { detectGrowthPhases, detectPhases, labelChangepointSegments } from '../../leader/analytics/phases.js';
import { demoImport, DEMO_RUNS, toSeries } from './demo.js';
import { randomCurve, sampleCurve, truth } from './growth-curves.js';
import { rng } from './prng.js';

const H = 3_600_000;

describe('analytics growth-rate phases', () => {
  it('50 seeded synthetic curves (Zwietering logistic with lag, mu_max, capacity, then death; 1-3 % noise): lag end, exponential window and stationary start within 10 % of the duration, mu_max within 10 %', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const p = randomCurve(seed);
      const s = sampleCurve(p, seed);
      const tr = truth(p);
      const g = detectGrowthPhases(s.ts, s.values);
      const h = (ms: number) => (ms - s.ts[0]) / H;
      const iExp = g.segments.findIndex((x) => x.phase === 'exponential');
      const exp = g.segments[iExp];
      const stat = g.segments.find((x, i) => i > iExp && x.phase === 'stationary');
      const msg = `seed ${seed}: set lag ${p.lagH.toFixed(2)} h, mu ${p.mu.toFixed(3)}; truth ${JSON.stringify(tr)}; found ${g.segments.map((x) => `${x.phase}@${h(x.startTs).toFixed(1)}`).join(' ')}, mu_max ${g.muMax?.mu}`;
      assert.ok(exp && stat, msg);
      const tol = 0.1 * p.durationH;
      assert.ok(Math.abs(h(exp.startTs) - tr.lagEnd) <= tol, `lag end: ${msg}`);
      assert.ok(Math.abs(h(exp.startTs) - p.lagH) <= tol, `lag end vs the set lag: ${msg}`);
      assert.ok(Math.abs(h(exp.endTs) - tr.expEnd) <= tol, `exponential end: ${msg}`);
      assert.ok(Math.abs(h(stat.startTs) - tr.statStart) <= tol, `stationary start: ${msg}`);
      assert.ok(Math.abs(g.muMax!.mu - p.mu) <= 0.1 * p.mu, `mu_max: ${msg}`);
      assert.equal(exp.metadata.mu_max, g.muMax!.mu, 'the exponential phase carries the run maximum');
      assert.ok(g.muMax!.ciLow < g.muMax!.mu && g.muMax!.mu < g.muMax!.ciHigh);
      assert.equal(g.segments[g.segments.length - 1].phase, 'decline', msg);
      assert.ok(!g.segments.some((x) => x.phase === 'unknown'), msg);
      for (let i = 0; i + 1 < g.segments.length; i++) {
        assert.equal(g.segments[i].endTs, g.segments[i + 1].startTs);
        assert.notEqual(g.segments[i].phase, g.segments[i + 1].phase, 'adjacent phases with one label are merged');
      }
    }
  });

  it('rules in growth terms: exponential >= 50 % of mu_max, deceleration, stationary within 10 %, decline below -10 %; lag until the first exponential; short blips absorbed', () => {
    assert.equal(classifyRate(0.5, 1), 'exponential');
    assert.equal(classifyRate(0.49, 1), 'deceleration');
    assert.equal(classifyRate(0.1, 1), 'stationary');
    assert.equal(classifyRate(-0.1, 1), 'stationary');
    assert.equal(classifyRate(-0.11, 1), 'decline');
    const hours = Array.from({ length: 14 }, (_, i) => i);
    // a noise blip of 0.6 at hour 2 (shorter than 2 h) does not end the lag; deceleration after exponential
    const rates = [0, 0.01, 0.6, 0, 0.05, 0.8, 1, 0.9, 0.3, 0.2, 0.02, -0.01, -0.5, -0.4];
    const L = ['lag', 'lag', 'lag', 'lag', 'lag', 'exponential', 'exponential', 'exponential', 'deceleration', 'deceleration', 'stationary', 'stationary'];
    assert.deepEqual(labelGrowthRates(hours, rates, 1, 2), [...L, 'decline', 'decline']);
    const blip = [...rates.slice(0, 12), -0.5, 0, 0.01, 0];
    const hb = Array.from({ length: blip.length }, (_, i) => i);
    assert.deepEqual(labelGrowthRates(hb, blip, 1, 2).slice(-5), new Array(5).fill('stationary'), 'a 1 h dip on a plateau is not a decline');
    assert.deepEqual(labelGrowthRates(hours, rates, 0.01, 2), new Array(14).fill('lag'), 'no growth above the floor: all lag');
  });

  it('sporedb-analytics.md §11 curve shape (lag 50, exponential 100, stationary 80, decline 30 points at 30 s): phases in order, contiguous, with exponential, stationary and decline', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const v: number[] = [];
      for (let i = 0; i < 50; i++) v.push(0.1 + r.normal(0, 0.005));
      for (let i = 0; i < 100; i++) v.push(0.1 * 50 ** (i / 99) + r.normal(0, 0.05));
      for (let i = 0; i < 80; i++) v.push(5 + r.normal(0, 0.1));
      for (let i = 0; i < 30; i++) v.push(5 - (2 * i) / 29 + r.normal(0, 0.05));
      const ts = v.map((_, i) => i * 30_000);
      const ph = detectPhases(ts, v);
      const kinds = ph.map((p) => p.phase);
      assert.equal(kinds[0], 'lag', kinds.join(','));
      assert.ok(kinds.indexOf('exponential') < kinds.indexOf('stationary') && kinds.indexOf('stationary') < kinds.lastIndexOf('decline'), kinds.join(','));
      for (let i = 0; i + 1 < ph.length; i++) assert.equal(ph[i].endTs, ph[i + 1].startTs);
    }
  });

  it('rates are per hour: the same culture logged every 10 s and every 5 min gives the same mu_max', () => {
    const make = (stepMs: number) => {
      const ts = Array.from({ length: Math.round((24 * H) / stepMs) }, (_, i) => i * stepMs);
      return detectGrowthPhases(ts, ts.map((t) => 0.05 + 2 / (1 + Math.exp(-0.6 * (t / H - 10))))).muMax!.mu;
    };
    const a = make(10_000);
    const b = make(300_000);
    assert.ok(Math.abs(a - b) < 0.02 * a, `${a} ${b}`);
  });

  it('too few points is unknown; non-positive readings are left out of ln X', () => {
    assert.deepEqual(detectPhases([0, H], [1, 2]).map((p) => p.phase), ['unknown']);
    const ts = Array.from({ length: 200 }, (_, i) => (i * H) / 10);
    const x = ts.map((t) => (t === 50 * (H / 10) ? 0 : 0.1 * Math.exp(0.3 * Math.min(t / H, 12))));
    const g = detectGrowthPhases(ts, x);
    assert.ok(Math.abs(g.muMax!.mu - 0.3) < 0.03, `${g.muMax?.mu}`);
  });

  it('sliding growth rate: exact on an exponential, standard error from the window residuals; t quantiles', () => {
    const ts = Array.from({ length: 100 }, (_, i) => (i * H) / 4);
    const p = slidingGrowthRate(ts, ts.map((t) => 2 * Math.exp((0.4 * t) / H)), 3);
    for (let i = 0; i < 100; i++) assert.ok(Math.abs(p.rate[i] - 0.4) < 1e-9);
    // 3 h window at 15 min: 13 points in the middle
    assert.equal(p.count[50], 13);
    assert.ok(Math.abs(tQuantile975(10) - 2.228138852) < 2e-3 && Math.abs(tQuantile975(30) - 2.042272456) < 1e-3);
  });

  it('change-point segments (BOCPD) are labelled by the same rules and merged', () => {
    const ts = Array.from({ length: 300 }, (_, i) => (i * H) / 10);
    const x = ts.map((t) => 0.1 * Math.exp(0.5 * Math.min(Math.max(t / H - 5, 0), 10)));
    const segs = labelChangepointSegments(ts, x, [20, 50, 51, 80, 120, 150, 200]);
    assert.deepEqual(segs.map((s) => s.phase), ['lag', 'exponential', 'stationary']);
    // the one-sample segment [50, 51) has no rate and joins the lag before it
    assert.deepEqual([segs[1].startIndex, segs[1].endIndex], [51, 150]);
  });

  for (const run of DEMO_RUNS) {
    it(`demo run ${run} (test/fixtures/sporedb-demo): lag, exponential, deceleration and stationary in order, nothing unknown, and mu_max above the exponential phase's average rate`, () => {
      const s = toSeries(demoImport(run)).OD600;
      const g = detectGrowthPhases(s.ts, s.values);
      const kinds = g.segments.map((p) => p.phase);
      assert.deepEqual(kinds.slice(0, 4), ['lag', 'exponential', 'deceleration', 'stationary'], kinds.join(','));
      assert.ok(!kinds.includes('unknown') && kinds.length <= 8, kinds.join(','));
      assert.equal(g.segments[0].startIndex, 0);
      assert.equal(g.segments[g.segments.length - 1].endIndex, s.values.length);
      const exp = g.segments[1];
      assert.ok((exp.endTs - exp.startTs) / H >= 5, `exponential ${(exp.endTs - exp.startTs) / H} h`);
      const avg = growthRateInWindow(s.ts, s.values, exp.startTs, exp.endTs).mu;
      assert.ok(g.muMax!.mu > avg && g.muMax!.ciLow > avg * 0.9, `mu_max ${g.muMax!.mu} [${g.muMax!.ciLow}, ${g.muMax!.ciHigh}] vs phase average ${avg}`);
    });
  }
});
