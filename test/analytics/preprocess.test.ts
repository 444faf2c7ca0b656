import assert from 'node:assert/strict';
import { downsample, downsampleIndices, fillRemainingNans, interpolateNans, preprocess, smoothSignal, validateSignal } from '../../leader/analytics/preprocess.js';

const close = (a: ArrayLike<number>, b: number[], tol: number): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};

describe('analytics preprocessing', () => {
  it('sporedb-analytics.md §11 vector: validate_signal [1,inf,3,-inf,5] -> [1,NaN,3,NaN,5], a copy', () => {
    const input = [1, Infinity, 3, -Infinity, 5];
    const out = validateSignal(input);
    assert.deepEqual(Array.from(out), [1, NaN, 3, NaN, 5]);
    assert.equal(input[1], Infinity);
  });
  it('sporedb-analytics.md §11 vector: validate_signal rejects [] and all-NaN', () => {
    assert.throws(() => validateSignal([]));
    assert.throws(() => validateSignal([NaN, NaN, NaN]));
  });
  it('sporedb-analytics.md §11 vector: interpolate_nans [1,NaN,NaN,4,5] -> [1,2,3,4,5]', () => {
    close(interpolateNans([1, NaN, NaN, 4, 5]), [1, 2, 3, 4, 5], 0.01);
  });
  it('sporedb-analytics.md §11 vector: interpolate_nans leaves a 6-long gap (limit 5) as NaN', () => {
    const out = interpolateNans([1, NaN, NaN, NaN, NaN, NaN, NaN, 8], 5);
    for (let i = 1; i <= 6; i++) assert.ok(Number.isNaN(out[i]));
    assert.ok(Number.isNaN(interpolateNans([NaN, 1, 2])[0]), 'edge gaps stay NaN');
  });
  it('QUIRK fix: NaNs left after interpolation are held at the nearest value instead of reaching PELT', () => {
    assert.deepEqual(Array.from(fillRemainingNans([NaN, 2, NaN, NaN, 5, NaN])), [2, 2, 2, 2, 5, 5]);
    const p = preprocess([NaN, 1, 2, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 3], { smoothingWindow: 1 });
    assert.ok(p.processed.every(Number.isFinite));
  });
  it('sporedb-analytics.md §11 vector: smooth_signal w=1 unchanged, w=5 and w=3 (nearest)', () => {
    assert.deepEqual(Array.from(smoothSignal([1, 5, 2, 8, 3], 1)), [1, 5, 2, 8, 3]);
    close(smoothSignal([1, 5, 2, 8, 3], 5), [2.0, 3.4, 3.8, 4.2, 3.8], 1e-12);
    close(smoothSignal([1, 5, 2, 8, 3], 3), [2.3333, 2.6667, 5.0, 4.3333, 4.6667], 1e-4);
  });
  it('sporedb-analytics.md §11 vector: smooth_signal w=4 even-window centring', () => {
    close(smoothSignal([1, 2, 3, 4, 5, 6], 4), [1.25, 1.75, 2.5, 3.5, 4.5, 5.25], 1e-12);
  });
  it('long windows (running sum path) agree with the direct sums', () => {
    const x = Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) * 10);
    const direct = Array.from(x, (_, i) => {
      let s = 0;
      for (let k = i - 50; k < i + 50; k++) s += x[Math.min(Math.max(k, 0), x.length - 1)];
      return s / 100;
    });
    close(smoothSignal(x, 100), direct, 1e-9);
  });
  it('sporedb-analytics.md §11 vector: downsample 1000 -> 100 at indices 0,10,20,... (floor of linspace)', () => {
    const x = Array.from({ length: 1000 }, (_, i) => i);
    const d = downsample(x, 100);
    assert.equal(d.length, 100);
    assert.deepEqual(Array.from(d.subarray(0, 5)), [0, 10, 20, 30, 40]);
    assert.equal(d[99], 999);
    // numpy: np.linspace(0, 999, 100, dtype=int)[1:3] == [10, 20]
    assert.deepEqual(Array.from(downsampleIndices(1000, 100).subarray(1, 3)), [10, 20]);
  });
  it('sporedb-analytics.md §11 vector: downsample [1,2,3] with max 10000 is unchanged', () => {
    assert.deepEqual(Array.from(downsample([1, 2, 3], 10000)), [1, 2, 3]);
  });
});
