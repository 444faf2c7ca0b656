// Seeded synthetic growth curves with known truth for the phase tests: the modified logistic of Zwietering
// et al. 1990 (Appl Environ Microbiol 56:1875), ln(X/x0) = A / (1 + exp(4 mu (lag - t) / A + 2)), whose
// parameters are the lag (tangent at the inflection meets ln x0), the maximum specific growth rate mu (the
// slope at the inflection, the largest d ln X/dt of the curve) and the capacity A = ln(K/x0); then
// first-order death (rate kd) from a set time, and multiplicative Gaussian noise.
import { rng } from './prng.js';

export interface CurveParams {
  lagH: number;
  mu: number;
  x0: number;
  /** ln(K / x0) */
  lnRange: number;
  deathStartH: number;
  kd: number;
  durationH: number;
  noise: number;
  stepMin: number;
}

/** ln X of the noiseless model at hour t. */
export function lnBiomass(p: CurveParams, t: number): number {
  const y = Math.log(p.x0) + p.lnRange / (1 + Math.exp((4 * p.mu * (p.lagH - t)) / p.lnRange + 2));
  return y - p.kd * Math.max(0, t - p.deathStartH);
}

/** True d ln X / dt (central difference of the noiseless model). */
export function trueRate(p: CurveParams, t: number): number {
  const d = 1e-4;
  return (lnBiomass(p, t + d) - lnBiomass(p, t - d)) / (2 * d);
}

export function randomCurve(seed: number): CurveParams {
  const r = rng(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * r.uniform();
  const mu = u(0.2, 1.2);
  const lagH = u(2, 12);
  const lnRange = u(3, 5);
  // the rate falls below 10 % of mu about 1.3 A / mu after the lag
  const grownH = lagH + (1.5 * lnRange) / mu;
  const deathStartH = grownH + u(6, 16);
  return { lagH, mu, x0: u(0.05, 0.3), lnRange, deathStartH, kd: u(0.15, 0.35) * mu, durationH: deathStartH + u(6, 14), noise: u(0.01, 0.03), stepMin: 5 };
}

export function sampleCurve(p: CurveParams, seed: number): { ts: number[]; values: number[]; hours: number[] } {
  const r = rng(seed + 1_000_003);
  const t0 = Date.UTC(2026, 0, 1);
  const hours: number[] = [];
  for (let t = 0; t <= p.durationH + 1e-9; t += p.stepMin / 60) hours.push(t);
  return { hours, ts: hours.map((h) => t0 + h * 3_600_000), values: hours.map((h) => Math.exp(lnBiomass(p, h)) * (1 + r.normal(0, p.noise))) };
}

/** The phase boundaries the rules of growth-phases.ts give on the noiseless rate (1-minute grid). */
export function truth(p: CurveParams, expFraction = 0.5, statFraction = 0.1): { muMax: number; lagEnd: number; expEnd: number; statStart: number } {
  const grid: number[] = [];
  for (let t = 0; t <= p.durationH; t += 1 / 60) grid.push(t);
  const rate = grid.map((t) => trueRate(p, t));
  const M = Math.max(...rate);
  const iLag = rate.findIndex((v) => v >= expFraction * M);
  const iExp = rate.findIndex((v, i) => i > iLag && v < expFraction * M);
  const iStat = rate.findIndex((v, i) => i > iExp && v <= statFraction * M);
  return { muMax: M, lagEnd: grid[iLag], expEnd: grid[iExp], statStart: grid[iStat] };
}
