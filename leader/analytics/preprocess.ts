/**
 * Signal preprocessing in SporeDB's order (validate -> interpolate short gaps -> centred smoothing ->
 * downsample). Every function returns a new array; inputs are never mutated, because callers keep the raw
 * values for labelling.
 */

/** Copy, turning +-Inf into NaN. Throws on an empty or all-NaN signal (nothing to analyse). */
export function validateSignal(values: ArrayLike<number>): Float64Array {
  if (values.length === 0) throw new Error('Signal is empty');
  const out = new Float64Array(values.length);
  let finite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      out[i] = v;
      finite++;
    } else out[i] = NaN;
  }
  if (finite === 0) throw new Error('Signal contains only NaN/Inf values');
  return out;
}

/**
 * Fill each run of NaNs linearly when it has anchors on both sides and is at most `limit` long. Longer
 * gaps and gaps at the edges stay NaN: inventing data over a long outage would hide it.
 */
export function interpolateNans(values: ArrayLike<number>, limit = 5): Float64Array {
  const out = Float64Array.from(values);
  const n = out.length;
  let i = 0;
  while (i < n) {
    if (!Number.isNaN(out[i])) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && Number.isNaN(out[i])) i++;
    const len = i - start;
    if (start === 0 || i === n || len > limit) continue;
    const left = out[start - 1];
    const right = out[i];
    for (let k = 1; k <= len; k++) out[start + k - 1] = left + ((right - left) * k) / (len + 1);
  }
  return out;
}

/**
 * QUIRK fix: SporeDB lets NaNs that survive interpolation flow into PELT. We hold the nearest finite value
 * instead (previous one, or the next one at the start), so a long outage reads as "no change".
 */
export function fillRemainingNans(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  let last = NaN;
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i])) out[i] = last;
    else last = out[i];
  }
  let next = NaN;
  for (let i = out.length - 1; i >= 0; i--) {
    if (Number.isNaN(out[i])) out[i] = next;
    else next = out[i];
  }
  return out;
}

/**
 * Centred moving average with edge replication (scipy uniform_filter1d, mode "nearest", origin 0). For an
 * even window it covers w/2 samples before and w/2-1 after, exactly like scipy. O(n) with a running sum.
 */
export function smoothSignal(values: ArrayLike<number>, window = 5): Float64Array {
  const n = values.length;
  if (window <= 1 || n === 0) return Float64Array.from(values);
  const before = Math.floor(window / 2);
  const after = window - 1 - before;
  const at = (i: number): number => values[i < 0 ? 0 : i >= n ? n - 1 : i];
  const out = new Float64Array(n);
  // Direct sums per point keep results bit-stable (a running sum drifts); window is small in practice.
  if (window <= 64) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = i - before; k <= i + after; k++) s += at(k);
      out[i] = s / window;
    }
    return out;
  }
  let s = 0;
  for (let k = -before; k <= after; k++) s += at(k);
  for (let i = 0; i < n; i++) {
    out[i] = s / window;
    s += at(i + after + 1) - at(i - before);
  }
  return out;
}

/** Indices numpy's `linspace(0, n-1, m, dtype=int)` would pick (truncation, not rounding). */
export function downsampleIndices(n: number, maxSamples = 10_000): Int32Array {
  if (n <= maxSamples) return Int32Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(maxSamples);
  const step = (n - 1) / (maxSamples - 1);
  for (let i = 0; i < maxSamples; i++) out[i] = Math.floor(i === maxSamples - 1 ? n - 1 : i * step);
  return out;
}

/** Keep at most maxSamples evenly spaced points; shorter signals are returned as a copy. */
export function downsample(values: ArrayLike<number>, maxSamples = 10_000): Float64Array {
  const idx = downsampleIndices(values.length, maxSamples);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]];
  return out;
}

export interface PreprocessOptions {
  interpolateLimit?: number;
  smoothingWindow?: number;
  maxSamples?: number;
}

export interface Preprocessed {
  /** Validated, interpolated, NaN-free (see fillRemainingNans), unsmoothed, full length. */
  filled: Float64Array;
  /** Smoothed and downsampled: what change-point detection sees. */
  processed: Float64Array;
  /** processed[i] came from filled[indices[i]]. */
  indices: Int32Array;
}

/** The whole pipeline in SporeDB's order, keeping the intermediate arrays the callers need. */
export function preprocess(values: ArrayLike<number>, opts: PreprocessOptions = {}): Preprocessed {
  const filled = fillRemainingNans(interpolateNans(validateSignal(values), opts.interpolateLimit ?? 5));
  const smoothed = smoothSignal(filled, opts.smoothingWindow ?? 5);
  const indices = downsampleIndices(smoothed.length, opts.maxSamples ?? 10_000);
  const processed = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) processed[i] = smoothed[indices[i]];
  return { filled, processed, indices };
}
