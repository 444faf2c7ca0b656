/**
 * The specific growth rate mu(t) = d ln X / dt of a biomass signal, estimated at every sample by ordinary
 * least squares of ln X on hours over a centred sliding window (a local-linear smoother), with the slope's
 * standard error from the window's own residuals. O(n) with prefix sums. Samples with X <= 0 or non-finite
 * are left out of every window (ln X is undefined there).
 *
 * The window is chosen from the data (autoWindowHours): wide enough that sensor noise on a low OD does not
 * swamp the slope, narrow enough to follow the rate's rise and fall. mu_max is the rate of the window
 * whose 95 % LOWER confidence bound mu - t(0.975, n-2) * SE is largest, among windows at least 70 % full (a
 * half window at either end is too noisy): on clean data that is the largest rate, and a burst of noise
 * on a low OD (large SE in ln X) cannot pass for the maximum. It is reported with its 95 % confidence
 * interval mu +- t * SE. It is the peak of a smoothed curve, so it reads slightly below the true peak when
 * the window is wide compared with the exponential phase; see test/analytics/growth-phases.test.ts for how
 * close it gets on known curves.
 */
import { MS_PER_HOUR } from './types.js';

export interface RateProfile {
  windowHours: number;
  /** d ln X / dt at each input sample (1/h), NaN where the window holds fewer than 3 usable points. */
  rate: Float64Array;
  stdErr: Float64Array;
  /** r^2 of each window's regression. */
  rSquared: Float64Array;
  /** Usable points in each sample's window. */
  count: Int32Array;
}

export interface MaxGrowthRate {
  /** 1/h */
  mu: number;
  stdErr: number;
  rSquared: number;
  ciLow: number;
  ciHigh: number;
  /** Index of the sample at the centre of the window. */
  index: number;
  n: number;
  windowHours: number;
}

/** Two-sided 95 % Student-t quantile t(0.975, df) (Cornish-Fisher expansion; < 1e-3 relative error for df >= 3). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df === 1) return 12.706204736;
  if (df === 2) return 4.30265273;
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** Windowed OLS slope of ln X on hours at every sample (see the module comment). */
export function slidingGrowthRate(ts: ArrayLike<number>, x: ArrayLike<number>, windowHours: number): RateProfile {
  const n = ts.length;
  const rate = new Float64Array(n).fill(NaN);
  const stdErr = new Float64Array(n).fill(NaN);
  const rSquared = new Float64Array(n).fill(NaN);
  const count = new Int32Array(n);
  if (n === 0) return { windowHours, rate, stdErr, rSquared, count };
  const t0 = ts[0];
  // usable points and their prefix sums
  const h: number[] = [];
  const P = { c: [0], t: [0], y: [0], tt: [0], ty: [0], yy: [0] };
  for (let i = 0; i < n; i++) {
    if (!(x[i] > 0) || !Number.isFinite(x[i])) continue;
    const t = (ts[i] - t0) / MS_PER_HOUR;
    const y = Math.log(x[i]);
    const k = h.length;
    h.push(t);
    P.c.push(k + 1);
    P.t.push(P.t[k] + t);
    P.y.push(P.y[k] + y);
    P.tt.push(P.tt[k] + t * t);
    P.ty.push(P.ty[k] + t * y);
    P.yy.push(P.yy[k] + y * y);
  }
  const half = windowHours / 2;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const c = (ts[i] - t0) / MS_PER_HOUR;
    while (lo < h.length && h[lo] < c - half) lo++;
    while (hi < h.length && h[hi] <= c + half) hi++;
    const m = hi - lo;
    count[i] = m;
    if (m < 3) continue;
    const st = P.t[hi] - P.t[lo];
    const sy = P.y[hi] - P.y[lo];
    const sxx = P.tt[hi] - P.tt[lo] - (st * st) / m;
    const sxy = P.ty[hi] - P.ty[lo] - (st * sy) / m;
    const syy = P.yy[hi] - P.yy[lo] - (sy * sy) / m;
    if (!(sxx > 0)) continue;
    const b = sxy / sxx;
    rate[i] = b;
    stdErr[i] = Math.sqrt(Math.max(0, syy - b * sxy) / (m - 2) / sxx);
    rSquared[i] = syy > 0 ? Math.min(1, (b * sxy) / syy) : 1;
  }
  return { windowHours, rate, stdErr, rSquared, count };
}

/** mu_max (see the module comment), optionally within sample indices [from, to). */
export function maxGrowthRate(p: RateProfile, from = 0, to = p.rate.length): MaxGrowthRate | null {
  const full = [...p.count].sort((a, b) => a - b)[Math.floor(p.count.length / 2)] ?? 0;
  let best = -1;
  let bestLow = -Infinity;
  for (let i = Math.max(0, from); i < Math.min(to, p.rate.length); i++) {
    if (!Number.isFinite(p.rate[i]) || p.count[i] < 0.7 * full) continue;
    const low = p.rate[i] - tQuantile975(p.count[i] - 2) * (Number.isFinite(p.stdErr[i]) ? p.stdErr[i] : 0);
    if (best < 0 || low > bestLow) {
      best = i;
      bestLow = low;
    }
  }
  if (best < 0) return null;
  const mu = p.rate[best];
  const se = p.stdErr[best];
  const t = tQuantile975(p.count[best] - 2);
  return { mu, stdErr: se, rSquared: p.rSquared[best], ciLow: mu - t * se, ciHigh: mu + t * se, index: best, n: p.count[best], windowHours: p.windowHours };
}

/**
 * Window for slidingGrowthRate: start from 1/12 of the run (at least 10 samples), find the peak rate M,
 * then use 1.5/M hours (the time the culture takes to grow by e^1.5, about the span over which the rate
 * changes), kept between 10 samples and a quarter of the run; once more from there.
 */
export function autoWindowHours(ts: ArrayLike<number>, x: ArrayLike<number>): number {
  const n = ts.length;
  if (n < 2) return 1;
  const span = (ts[n - 1] - ts[0]) / MS_PER_HOUR;
  const minW = Math.min(span, (10 * span) / (n - 1));
  const clampW = (w: number) => Math.min(Math.max(w, minW), span / 4 > minW ? span / 4 : minW);
  let w = clampW(span / 12);
  for (let k = 0; k < 2; k++) {
    const m = maxGrowthRate(slidingGrowthRate(ts, x, w));
    if (!m || !(m.mu > 0)) break;
    w = clampW(1.5 / m.mu);
  }
  return w;
}
