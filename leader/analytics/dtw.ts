/**
 * Dynamic time warping, exact inside a Sakoe-Chiba band, in O(band) memory: two rolling rows indexed
 * relative to each row's band start. Local cost is the Euclidean distance between V-dimensional points
 * (not squared) and steps are (1,0), (0,1), (1,1) without weights, as in fastdtw.
 *
 * SporeDB calls fastdtw(radius = max(T/5, 10)). A band is exact only for paths that stay inside it: the
 * result is the optimum over paths in the band, so it can be larger than full DTW (never smaller), and a
 * band around the scaled diagonal alone misses the path of two runs of unequal length that stay in step
 * (same elapsed time, j ~ i) and then fold the longer one's tail onto the other's end. So the band here is
 * centred on the scaled diagonal and widened by |n - m|, which puts both the same-time diagonal and the
 * end-aligned one inside it; and `dtw` runs full DTW whenever n x m < 4e6 cells (a few ms), the band only
 * above that.
 */

/** Band limits of row i for series lengths n (rows) and m (cols): a corridor around the scaled diagonal. */
function bandLimits(i: number, n: number, m: number, radius: number): [number, number] {
  const centre = n > 1 ? (i * (m - 1)) / (n - 1) : 0;
  let lo = Math.ceil(centre - radius);
  let hi = Math.floor(centre + radius);
  if (lo < 0) lo = 0;
  if (hi > m - 1) hi = m - 1;
  return [lo, hi];
}

/** Below this many cells (n x m) `dtw` computes full DTW. */
export const FULL_DTW_CELLS = 4e6;

/**
 * DTW distance between a (n x dims) and b (m x dims), both row-major, inside a band: `radius` is the
 * Sakoe-Chiba half width in columns around the scaled diagonal, widened by |n - m| (see above) and to the
 * slope of the diagonal so consecutive rows always connect. radius >= max(n, m) gives full DTW.
 */
export function dtwDistance(a: Float64Array, b: Float64Array, dims: number, radius: number): number {
  const n = a.length / dims;
  const m = b.length / dims;
  if (n === 0 || m === 0) return NaN;
  const r = Math.max(radius + Math.abs(n - m), Math.ceil(m / n), 1);
  // Row buffers hold column j at index j - lo + 1; index 0 and the slots past hi are +Infinity sentinels,
  // so the inner loop needs no bounds tests. Band edges move by at most ceil(m/n) + 1 per row.
  const pad = Math.ceil(m / n) + 2;
  const width = Math.min(m, 2 * r + 3) + pad + 1;
  let prev = new Float64Array(width).fill(Infinity);
  let cur = new Float64Array(width).fill(Infinity);
  let prevLo = 0;
  let prevHi = -1;
  for (let i = 0; i < n; i++) {
    const [lo, hi] = bandLimits(i, n, m, r);
    const ai = i * dims;
    const off = lo - prevLo; // >= 0: band starts never move left
    cur[0] = Infinity;
    for (let j = lo; j <= hi; j++) {
      let d: number;
      if (dims === 1) {
        d = a[ai] - b[j];
        if (d < 0) d = -d;
      } else {
        let s = 0;
        const bj = j * dims;
        for (let k = 0; k < dims; k++) {
          const q = a[ai + k] - b[bj + k];
          s += q * q;
        }
        d = Math.sqrt(s);
      }
      const c = j - lo;
      let best: number;
      if (i === 0) best = j === 0 ? 0 : cur[c];
      else {
        const up = prev[c + off + 1];
        const diag = prev[c + off];
        const left = cur[c];
        best = up < diag ? up : diag;
        if (left < best) best = left;
      }
      cur[c + 1] = d + best;
    }
    for (let k = hi - lo + 2; k < Math.min(width, hi - lo + 2 + pad); k++) cur[k] = Infinity;
    const t = prev;
    prev = cur;
    cur = t;
    prevLo = lo;
    prevHi = hi;
  }
  return prevHi === m - 1 ? prev[m - 1 - prevLo + 1] : Infinity;
}

/** Full DTW (band covering the whole matrix). */
export function dtwFull(a: Float64Array, b: Float64Array, dims = 1): number {
  return dtwDistance(a, b, dims, Math.max(a.length, b.length) / dims);
}

/** Exact DTW when n x m < FULL_DTW_CELLS, else banded DTW of that radius (widened as dtwDistance does). */
export function dtw(a: Float64Array, b: Float64Array, dims: number, radius: number): number {
  return (a.length / dims) * (b.length / dims) < FULL_DTW_CELLS ? dtwFull(a, b, dims) : dtwDistance(a, b, dims, radius);
}

/**
 * Open-end DTW: the cost of warping ALL of `a` (n x dims) onto each prefix `b[0..j]` of `b` (m x dims), as
 * the last row of the cost matrix (same local cost and steps as dtwDistance). A run that is still growing is
 * compared against the part of a reference it has reached: the best prefix is the smallest normalised entry.
 * Both are on the same time grid, so the band is around the unscaled diagonal: |i - j| <= radius (cells
 * outside are +Infinity), which keeps a run that has not grown for ten hours from matching a three-hour lag. A run
 * that has gone on past the end of `b` may still match b's last point (compared with the reference's final state).
 * O(n m) time, O(m) memory.
 */
export function dtwOpenEnd(a: Float64Array, b: Float64Array, dims: number, radius = Infinity): Float64Array {
  const n = a.length / dims;
  const m = b.length / dims;
  let prev = new Float64Array(m).fill(Infinity);
  let cur = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const ai = i * dims;
    for (let j = 0; j < m; j++) {
      if (Math.abs(i - j) > radius && !(j === m - 1 && i > j)) {
        cur[j] = Infinity;
        continue;
      }
      let s = 0;
      const bj = j * dims;
      for (let k = 0; k < dims; k++) {
        const q = a[ai + k] - b[bj + k];
        s += q * q;
      }
      const d = Math.sqrt(s);
      let best: number;
      if (i === 0) best = j === 0 ? 0 : cur[j - 1];
      else {
        best = prev[j];
        if (j > 0 && prev[j - 1] < best) best = prev[j - 1];
        if (j > 0 && cur[j - 1] < best) best = cur[j - 1];
      }
      cur[j] = d + best;
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return n === 0 ? new Float64Array(m).fill(Infinity) : prev;
}
