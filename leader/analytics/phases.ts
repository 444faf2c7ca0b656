/**
 * Offline phase detection: preprocess, PELT, then label each segment lag / exponential / stationary /
 * decline / unknown with SporeDB's rules. Two deliberate departures (QUIRK fixes):
 *  - slopes are in signal units per HOUR (SporeDB divides by the sample count, so the same culture logged
 *    every 10 s and every 5 min got different "growth rates");
 *  - confidence is computed from the data instead of a constant 1.0: for each boundary, the cost reduction
 *    G of splitting there versus the penalty P. An optimal segmentation has G >= P at every boundary, so
 *    1 - P/G lies in [0, 1): 0 when the split barely pays for itself, -> 1 when it is overwhelming. A
 *    segment's confidence is the mean over its boundaries. A signal with no change gets 1 - Gbest/P, where Gbest
 *    is the best single split among evenly spaced candidates (how far it was from being split);
 *  - DECLINE needs a slope below -10 % of the largest |rate| (SporeDB: any negative slope after the
 *    exponential phase, so sensor noise on a plateau of -0.02 /h turned a stationary phase into "decline");
 *  - the automatic penalty matches the cost's units (see defaultPenalty).
 */
import type { CostName } from './costs.js';
import { autoPenalty, peltWithCost } from './pelt.js';
import { makeCost, rbfKernel, RbfCost, type CostModel } from './costs.js';
import { preprocess } from './preprocess.js';
import { MS_PER_HOUR, type PhaseSegment, type PhaseType } from './types.js';

export interface DetectPhasesOptions {
  cost?: CostName;
  minSize?: number;
  penalty?: number;
  smoothingWindow?: number;
  jump?: number;
  maxSamples?: number;
  signalVariable?: string;
  /** false restores SporeDB's "any negative slope after exponential is decline". */
  strictDecline?: boolean;
}

/**
 * Automatic penalty in the cost's own units. L2: SporeDB's ln(m)*Var(x). RBF (QUIRK fix): ln(m) times the
 * per-sample variance in feature space, kd - mean_ij k(x_i,x_j); SporeDB used Var(x), which is in signal
 * units squared while kernel costs are bounded by the sample count, so rescaling the signal (OD in g/L vs
 * mg/L) changed the segmentation. Normal (-2 log-likelihood units): 3 ln(m), a BIC for mean, variance
 * and location. The feature variance is estimated on at most 2000 evenly strided samples (O(1) memory).
 */
export function defaultPenalty(model: CostModel, x: ArrayLike<number>): number {
  const m = x.length;
  if (model instanceof RbfCost) {
    const stride = Math.max(1, Math.ceil(m / 2000));
    let sum = 0;
    let cnt = 0;
    for (let i = 0; i < m; i += stride) {
      for (let j = i + stride; j < m; j += stride) sum += rbfKernel(x[i], x[j], model.gamma);
      cnt++;
    }
    const meanK = (2 * sum + cnt * model.diag) / (cnt * cnt);
    const fv = model.diag - meanK;
    return Math.log(m) * (fv > 1e-10 ? fv : 1);
  }
  if (model.name === 'normal') return 3 * Math.log(m);
  return autoPenalty(x);
}

/** Python's round(): half to even. Used when mapping downsampled breakpoints back. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * SporeDB's labelling rules (first match wins), on per-segment rates:
 * the first maximal positive rate is EXPONENTIAL; after it, any negative rate is DECLINE; |rate| < 10 % of
 * the largest |rate| is LAG before and STATIONARY after it; anything else is UNKNOWN.
 */
export function labelRates(rates: ArrayLike<number>, strictDecline = true): PhaseType[] {
  let expIdx = -1;
  let maxRate = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < rates.length; i++) {
    if (rates[i] > maxRate) {
      maxRate = rates[i];
      expIdx = i;
    }
    maxAbs = Math.max(maxAbs, Math.abs(rates[i]));
  }
  if (!(maxRate > 0)) expIdx = -1;
  const thr = 0.1 * maxAbs;
  return Array.from({ length: rates.length }, (_, i): PhaseType => {
    const r = rates[i];
    if (i === expIdx) return 'exponential';
    if (expIdx >= 0 && i > expIdx && r < 0 && (strictDecline ? r <= -thr : true)) return 'decline';
    if (expIdx >= 0 && i < expIdx && Math.abs(r) < thr) return 'lag';
    if (expIdx >= 0 && i > expIdx && Math.abs(r) < thr) return 'stationary';
    return 'unknown';
  });
}

/** Rate in value per hour between a segment's first and last sample; 0 for 1 sample or zero duration. */
export function segmentRatePerHour(ts: ArrayLike<number>, values: ArrayLike<number>, s: number, e: number): number {
  const n = values.length;
  const last = Math.min(e - 1, n - 1);
  if (last - s < 1) return 0;
  const hours = (ts[last] - ts[s]) / MS_PER_HOUR;
  return hours > 0 ? (values[last] - values[s]) / hours : 0;
}

/** Confidence of each boundary between consecutive segments, see the module comment. */
export function boundaryConfidences(
  gainsOf: (a: number, c: number, bs: number[]) => Float64Array,
  breakpoints: readonly number[],
  penalty: number,
): number[] {
  const out: number[] = [];
  for (let k = 0; k + 1 < breakpoints.length; k++) {
    const a = k === 0 ? 0 : breakpoints[k - 1];
    const b = breakpoints[k];
    const c = breakpoints[k + 1];
    const g = gainsOf(a, c, [b])[0];
    out.push(g > 0 && penalty > 0 ? clamp01(1 - penalty / g) : g > 0 ? 1 : 0);
  }
  return out;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/**
 * Detect and label growth phases of one signal. `ts` are epoch ms (ascending), `values` raw readings
 * (NaN allowed). Segments share boundary timestamps like SporeDB: endTs = ts[min(endIndex, n-1)].
 */
export function detectPhases(ts: ArrayLike<number>, values: ArrayLike<number>, opts: DetectPhasesOptions = {}): PhaseSegment[] {
  const n = values.length;
  if (ts.length !== n) throw new Error('ts and values differ in length');
  const pre = preprocess(values, { smoothingWindow: opts.smoothingWindow ?? 5, maxSamples: opts.maxSamples ?? 10_000 });
  const x = pre.processed;
  const m = x.length;
  const model = makeCost(opts.cost ?? 'rbf', x);
  const penalty = opts.penalty ?? defaultPenalty(model, x);
  const minSize = Math.max(opts.minSize ?? 10, 2);
  const res = peltWithCost(model, penalty, minSize, opts.jump ?? 1);
  // Confidence on the processed signal, where the costs live.
  let conf: number[];
  if (res.breakpoints.length > 1) {
    const bc = boundaryConfidences((a, c, bs) => model.splitGains(a, c, bs), res.breakpoints, penalty);
    conf = res.breakpoints.map((_, k) => {
      const parts = [k > 0 ? bc[k - 1] : NaN, k < bc.length ? bc[k] : NaN].filter((v) => !Number.isNaN(v));
      return parts.reduce((a, b) => a + b, 0) / parts.length;
    });
  } else {
    const cands: number[] = [];
    for (let j = 1; j < 8; j++) {
      const b = Math.round((j * m) / 8);
      if (b >= minSize && m - b >= minSize) cands.push(b);
    }
    const best = cands.length ? Math.max(...model.splitGains(0, m, cands)) : 0;
    conf = [clamp01(1 - Math.max(best, 0) / penalty)];
  }
  // Map breakpoints back to the full-resolution signal.
  const bkps = res.breakpoints.map((b) => (m === n ? b : Math.min(roundHalfEven((b * n) / m), n)));
  bkps[bkps.length - 1] = n;
  const starts = [0, ...bkps.slice(0, -1)];
  const rates = bkps.map((e, k) => segmentRatePerHour(ts, pre.filled, starts[k], e));
  const labels = labelRates(rates, opts.strictDecline ?? true);
  return bkps.map((e, k) => ({
    phase: labels[k],
    startIndex: starts[k],
    endIndex: e,
    startTs: ts[starts[k]],
    endTs: ts[Math.min(e, n - 1)],
    growthRatePerHour: rates[k],
    confidence: conf[k],
    metadata: { growth_rate: rates[k], signal_variable: opts.signalVariable ?? 'OD600', cost: model.name, penalty },
  }));
}
