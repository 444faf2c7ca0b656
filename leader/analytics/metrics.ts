/**
 * Bioprocess kinetics: specific growth rate (OLS of ln X on hours, with r^2 and the slope's standard
 * error, as scipy's linregress), productivity qp, yields Yx/s and Yp/s, and first-order propagation of
 * independent 1-sigma uncertainties into a yield.
 */
import { MS_PER_HOUR } from './types.js';

export interface LinearFit {
  slope: number;
  intercept: number;
  rSquared: number;
  /** Standard error of the slope (NaN with fewer than 3 points). */
  slopeStdErr: number;
  n: number;
}

/** Ordinary least squares y = a + b x. */
export function linearRegression(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new Error('linear regression needs >= 2 paired points');
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0) throw new Error('linear regression needs distinct x values');
  const slope = sxy / sxx;
  const r = syy === 0 ? 1 : sxy / Math.sqrt(sxx * syy);
  const rSquared = Math.min(1, r * r);
  const slopeStdErr = n > 2 ? Math.sqrt(Math.max(0, (1 - rSquared) * syy) / (n - 2) / sxx) : NaN;
  return { slope, intercept: my - slope * mx, rSquared, slopeStdErr, n };
}

export interface GrowthRate {
  /** h^-1 */
  mu: number;
  rSquared: number;
  stdErr: number;
  n: number;
}

/** mu from ln X against hours since `t0Hours` (default: the first sample). Every X must be > 0. */
export function specificGrowthRate(hours: ArrayLike<number>, biomass: ArrayLike<number>): GrowthRate {
  if (hours.length < 2) throw new Error('specific growth rate needs >= 2 points');
  const lnx = new Float64Array(biomass.length);
  for (let i = 0; i < biomass.length; i++) {
    if (!(biomass[i] > 0)) throw new Error('Biomass values must be positive for ln-regression');
    lnx[i] = Math.log(biomass[i]);
  }
  const f = linearRegression(hours, lnx);
  return { mu: f.slope, rSquared: f.rSquared, stdErr: f.slopeStdErr, n: f.n };
}

/** mu inside a time window [startTs, endTs] (ms, inclusive), hours measured from startTs as SporeDB does. */
export function growthRateInWindow(ts: ArrayLike<number>, biomass: ArrayLike<number>, startTs: number, endTs: number): GrowthRate {
  const h: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] >= startTs && ts[i] <= endTs) {
      h.push((ts[i] - startTs) / MS_PER_HOUR);
      x.push(biomass[i]);
    }
  }
  return specificGrowthRate(h, x);
}

/** qp = (P_last - P_first) / (t_last - t_first) per hour; 0 when the span is not positive. */
export function productivity(hours: ArrayLike<number>, product: ArrayLike<number>): number {
  const n = hours.length;
  if (n < 2 || product.length !== n) throw new Error('productivity needs >= 2 points');
  const dt = hours[n - 1] - hours[0];
  return dt > 0 ? (product[n - 1] - product[0]) / dt : 0;
}

/** Y = (produced_last - produced_first) / (consumed_first - consumed_last); 0 if the substrate is flat. */
export function yieldCoefficient(produced: ArrayLike<number>, consumed: ArrayLike<number>): number {
  if (produced.length < 2 || consumed.length < 2) throw new Error('yield needs >= 2 points');
  const dp = produced[produced.length - 1] - produced[0];
  const ds = consumed[0] - consumed[consumed.length - 1];
  return Math.abs(ds) < 1e-10 ? 0 : dp / ds;
}

export interface Uncertain {
  value: number;
  /** 1 sigma, >= 0 */
  sigma: number;
}

/**
 * Yield with first-order propagation, inputs independent: var(dP) = sP0^2 + sP1^2, var(dS) likewise,
 * sigma_Y^2 = (sigma_dP/dS)^2 + (dP*sigma_dS/dS^2)^2. Uses the first and last points only.
 */
export function yieldWithUncertainty(produced: readonly Uncertain[], consumed: readonly Uncertain[]): Uncertain {
  if (produced.length < 2 || consumed.length < 2) throw new Error('yield needs >= 2 points');
  const p0 = produced[0];
  const p1 = produced[produced.length - 1];
  const s0 = consumed[0];
  const s1 = consumed[consumed.length - 1];
  const dp = p1.value - p0.value;
  const ds = s0.value - s1.value;
  if (Math.abs(ds) < 1e-10) return { value: 0, sigma: 0 };
  const sdp = Math.hypot(p0.sigma, p1.sigma);
  const sds = Math.hypot(s0.sigma, s1.sigma);
  return { value: dp / ds, sigma: Math.hypot(sdp / ds, (dp * sds) / (ds * ds)) };
}
