import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dtw, dtwDistance, dtwFull, FULL_DTW_CELLS } from '../../leader/analytics/dtw.js';
import { checkProperty } from './fc.js';

/** A smooth random shape on [0, 1]: a sum of sigmoids (growth-like steps) and a slow sine. */
function shape(steps: { at: number; height: number; width: number }[], wave: number): (u: number) => number {
  return (u) => steps.reduce((s, k) => s + k.height / (1 + Math.exp(-(u - k.at) / k.width)), 0) + 0.3 * Math.sin(2 * Math.PI * wave * u);
}

/**
 * The shape sampled at n points at a common step (1/n0 of its duration, as two runs logged at the same
 * rate), shifted in time by `shift`, plus small noise. A longer run goes on past the shape's end.
 */
function sample(f: (u: number) => number, n: number, n0: number, shift: number, noise: number[]): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => f(i / n0 - shift) + 0.01 * noise[i % noise.length]);
}

const pairArb = fc.record({
  steps: fc.array(fc.record({ at: fc.double({ min: 0.1, max: 0.9, noNaN: true }), height: fc.double({ min: -3, max: 3, noNaN: true }), width: fc.double({ min: 0.01, max: 0.1, noNaN: true }) }), { minLength: 1, maxLength: 3 }),
  wave: fc.double({ min: 0, max: 3, noNaN: true }),
  n: fc.integer({ min: 20, max: 400 }),
  ratio: fc.double({ min: 1, max: 2, noNaN: true }),
  longerFirst: fc.boolean(),
  shiftA: fc.double({ min: -0.1, max: 0.1, noNaN: true }),
  shiftB: fc.double({ min: -0.1, max: 0.1, noNaN: true }),
  noise: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 7, maxLength: 7 }),
});

describe('analytics DTW band', () => {
  it('banded DTW (radius max(T/5, 10), widened by |n - m|) equals full DTW on random pairs of unequal length up to 2:1 (fast-check, seeded)', () => {
    checkProperty(
      'banded = full DTW',
      fc.property(pairArb, (p) => {
        const f = shape(p.steps, p.wave);
        const m = Math.round(p.n * p.ratio);
        const [na, nb] = p.longerFirst ? [m, p.n] : [p.n, m];
        const a = sample(f, na, p.n, p.shiftA, p.noise);
        const b = sample(f, nb, p.n, p.shiftB, p.noise);
        const radius = Math.max(Math.floor(na / 5), 10);
        const full = dtwFull(a, b, 1);
        const banded = dtwDistance(a, b, 1, radius);
        return Math.abs(banded - full) <= 1e-9 * Math.max(1, full);
      }),
    );
  });

  it('runs of the same sampling rate and unequal length that stay in step (the 865 vs 1153 point case): the band holds the optimal path', () => {
    // Same curve at the same 5-minute step, one run 72 h and one 96 h long: the path is j ~ i then the longer
    // run's tail folds onto the end, which a band of T/5 around the scaled diagonal alone does not contain.
    const curve = (h: number) => 0.3 + 15 / (1 + Math.exp(-0.5 * (h - 14)));
    const a = Float64Array.from({ length: 865 }, (_, i) => curve(i / 12));
    const b = Float64Array.from({ length: 1153 }, (_, i) => curve(i / 12 - 2));
    const full = dtwFull(a, b, 1);
    assert.ok(Math.abs(dtwDistance(a, b, 1, Math.floor(865 / 5)) - full) < 1e-9 * full);
  });

  it('dtw() is full DTW below FULL_DTW_CELLS cells and never below full DTW above it', () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => Math.sin(i / 20));
    const b = Float64Array.from({ length: 500 }, (_, i) => Math.sin(i / 33));
    assert.equal(dtw(a, b, 1, 2), dtwFull(a, b, 1));
    assert.ok(300 * 500 < FULL_DTW_CELLS);
    const big = Float64Array.from({ length: 2100 }, (_, i) => Math.sin(i / 150));
    const big2 = Float64Array.from({ length: 2000 }, (_, i) => Math.sin(i / 140 + 0.3));
    assert.ok(2100 * 2000 >= FULL_DTW_CELLS);
    assert.ok(dtw(big, big2, 1, 10) >= dtwFull(big, big2, 1) - 1e-9);
  });
});
