import assert from 'node:assert/strict';
import { growthRateInWindow, linearRegression, productivity, specificGrowthRate, yieldCoefficient, yieldWithUncertainty } from '../../leader/analytics/metrics.js';
import { LeastSquaresSoftSensor, LinearSoftSensor } from '../../leader/analytics/soft-sensor.js';
import { rng } from './prng.js';

describe('analytics metrics', () => {
  it('sporedb-analytics.md §11 vector: mu of X = 0.1 e^{0.3 t}, t = linspace(0,10,100) is 0.3 with r^2 = 1', () => {
    const t = Array.from({ length: 100 }, (_, i) => (10 * i) / 99);
    const g = specificGrowthRate(t, t.map((h) => 0.1 * Math.exp(0.3 * h)));
    assert.ok(Math.abs(g.mu - 0.3) < 1e-12);
    assert.ok(Math.abs(g.rSquared - 1) < 1e-12);
    assert.ok(g.stdErr < 1e-12);
  });
  it('sporedb-analytics.md §11 vector: mu with a zero biomass raises an error mentioning "positive"', () => {
    assert.throws(() => specificGrowthRate([0, 1, 2], [0.1, 0, 0.3]), /positive/);
  });
  it('sporedb-analytics.md §11 vector: compute_batch_metrics shape (12 lag, 24 exponential, 24 stationary pts on a 10-min grid) gives mu ~ 0.3, r^2 > 0.9', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const ts: number[] = [];
    const x: number[] = [];
    const push = (i: number, v: number): void => {
      ts.push(t0 + i * 600_000);
      x.push(v);
    };
    for (let i = 0; i < 12; i++) push(i, 0.1);
    for (let i = 0; i < 24; i++) push(12 + i, 0.1 * Math.exp((0.3 * i) / 6));
    for (let i = 0; i < 24; i++) push(36 + i, 0.33);
    const g = growthRateInWindow(ts, x, ts[12], ts[36]); // the exp phase ends at the first stationary ts
    assert.ok(Math.abs(g.mu - 0.3) < 0.05, `${g.mu}`);
    assert.ok(g.rSquared > 0.9);
  });
  it('slope standard error matches the textbook formula', () => {
    const r = rng(3);
    const x = Array.from({ length: 30 }, (_, i) => i);
    const y = x.map((v) => 2 * v + 1 + r.normal(0, 0.5));
    const f = linearRegression(x, y);
    const mx = x.reduce((a, b) => a + b) / x.length;
    const sse = y.reduce((s, v, i) => s + (v - f.intercept - f.slope * x[i]) ** 2, 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    assert.ok(Math.abs(f.slopeStdErr - Math.sqrt(sse / 28 / sxx)) < 1e-12);
  });
  it('sporedb-analytics.md §11 vector: qp of P=[0,.5,1,1.5,2] over t=[0..4] is 0.5; t=[5,5] gives 0', () => {
    assert.ok(Math.abs(productivity([0, 1, 2, 3, 4], [0, 0.5, 1, 1.5, 2]) - 0.5) < 1e-12);
    assert.equal(productivity([5, 5], [1, 2]), 0);
  });
  it('sporedb-analytics.md §11 vector: Yx/s of X=[.5,1,2,3.5,5], S=[20,18,15,12,10] is 0.45; constant S gives 0', () => {
    assert.ok(Math.abs(yieldCoefficient([0.5, 1, 2, 3.5, 5], [20, 18, 15, 12, 10]) - 0.45) < 1e-12);
    assert.equal(yieldCoefficient([0.5, 5], [20, 20]), 0);
  });
  it('sporedb-analytics.md §4 / §11 vector: S=[20+-.5,10+-.5], X=[.5+-.1,5+-.2] -> Y = 0.45 +- 0.0388908730', () => {
    const y = yieldWithUncertainty(
      [
        { value: 0.5, sigma: 0.1 },
        { value: 5, sigma: 0.2 },
      ],
      [
        { value: 20, sigma: 0.5 },
        { value: 10, sigma: 0.5 },
      ],
    );
    assert.ok(Math.abs(y.value - 0.45) < 1e-12);
    assert.ok(Math.abs(y.sigma - 0.038890873) < 1e-9);
  });
});

describe('analytics soft sensors', () => {
  it('sporedb-analytics.md §11 vector: LinearSoftSensor y = slope x + b; uncertainty = std if std > 0 else null', () => {
    const s = new LinearSoftSensor('OD600', 'biomass_predicted', 0.4, 0.1, 0.05);
    const p = s.predict([[1, 2]]);
    assert.deepEqual(Array.from(p.value), [0.4 * 1 + 0.1, 0.4 * 2 + 0.1]);
    assert.deepEqual(Array.from(p.uncertainty ?? []), [0.05, 0.05]);
    assert.equal(new LinearSoftSensor('OD600', 'x', 1, 0).predict([[1]]).uncertainty, null);
  });
  it('least-squares multi-input sensor recovers coefficients and gives prediction errors that cover the truth', () => {
    const r = rng(8);
    const n = 200;
    const od = Array.from({ length: n }, () => r.uniform() * 10);
    const co2 = Array.from({ length: n }, () => r.uniform() * 5);
    const y = od.map((v, i) => 0.5 + 0.4 * v - 0.2 * co2[i] + r.normal(0, 0.1));
    const s = LeastSquaresSoftSensor.fit(['OD600', 'co2'], 'dcw', [od, co2], y);
    const [b0, b1, b2] = s.model.coefficients;
    assert.ok(Math.abs(b0 - 0.5) < 0.05 && Math.abs(b1 - 0.4) < 0.01 && Math.abs(b2 + 0.2) < 0.02);
    assert.ok(Math.abs(s.model.residualStd - 0.1) < 0.02);
    const p = s.predict([[5], [2]]);
    assert.ok(Math.abs(p.value[0] - (0.5 + 2 - 0.4)) < 3 * (p.uncertainty as Float64Array)[0]);
    assert.ok((p.uncertainty as Float64Array)[0] > s.model.residualStd);
    assert.throws(() => LeastSquaresSoftSensor.fit(['a', 'b'], 'y', [od, od], y), /singular/);
  });
});
