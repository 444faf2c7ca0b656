/** Small statistics helpers used by the jobs (reference/pioreactor-control.md §2-§3, §10). */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of an empty list');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median absolute deviation (unscaled). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/** 1.4826 x MAD: a robust standard deviation. */
export function robustSd(xs: readonly number[]): number {
  return 1.4826 * mad(xs);
}

/** Sort, drop `cut` from each end, and average (Pioreactor's `trimmed_mean`). */
export function trimmedMean(xs: readonly number[], cut = 1): number {
  const s = [...xs].sort((a, b) => a - b);
  const kept = s.slice(cut, s.length - cut);
  return mean(kept.length ? kept : s);
}

/**
 * The OD reader's per-channel estimator: drop the first argmin and the first argmax (one sample when all are
 * equal), then shrink towards the prior: `C = (n mean + lambda C0) / (n + lambda)`.
 */
export function trimmedMeanWithPrior(xs: readonly number[], prior: number | null, lambda: number): number {
  if (xs.length === 0) throw new RangeError('no samples');
  let iMin = 0;
  let iMax = 0;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i] < xs[iMin]) iMin = i;
    if (xs[i] > xs[iMax]) iMax = i;
  }
  const kept = xs.filter((_, i) => i !== iMin && i !== iMax);
  const vals = kept.length ? kept : [...xs];
  const m = mean(vals);
  if (prior === null || lambda === 0) return m;
  const n = vals.length;
  return (n * m + lambda * prior) / (n + lambda);
}

export interface Regression {
  slope: number;
  intercept: number;
  /** Squared standard errors of slope and intercept. */
  slopeSe2: number;
  interceptSe2: number;
  residuals: number[];
}

/** Ordinary least squares y = intercept + slope x. */
export function simpleLinearRegression(x: readonly number[], y: readonly number[]): Regression {
  const n = x.length;
  if (n !== y.length || n < 2) throw new RangeError('need at least two paired points');
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  const residuals = x.map((xi, i) => y[i] - (intercept + slope * xi));
  const sse = residuals.reduce((s, r) => s + r * r, 0);
  const s2 = n > 2 ? sse / (n - 2) : 0;
  const slopeSe2 = sxx === 0 ? 0 : s2 / sxx;
  const interceptSe2 = sxx === 0 ? 0 : s2 * (1 / n + (mx * mx) / sxx);
  return { slope, intercept, slopeSe2, interceptSe2, residuals };
}

/** Pearson correlation (0 when either series is constant). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Exponential moving average where alpha weights the OLD value; the first update sets the value. */
export class Ema {
  private value: number | null = null;
  constructor(readonly alpha: number) {
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError('alpha must be in [0, 1]');
  }
  update(x: number): number {
    this.value = this.value === null ? x : (1 - this.alpha) * x + this.alpha * this.value;
    return this.value;
  }
  get latest(): number {
    if (this.value === null) throw new Error('no value yet');
    return this.value;
  }
  get hasValue(): boolean {
    return this.value !== null;
  }
  clear(): void {
    this.value = null;
  }
}

export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
export const round = (x: number, dp: number): number => {
  const f = 10 ** dp;
  return Math.round(x * f) / f;
};
