/**
 * Segment costs for PELT. Every cost is "subadditive" (splitting a segment never raises the total), which is
 * what makes PELT's pruning exact. Prefix sums make L2 and Normal O(1) per query; the RBF kernel cost is
 * kept in O(n) memory by updating each live candidate's within-segment kernel sum as the segment grows
 * (see RbfCost.extend), instead of ruptures' n x n Gram matrix.
 */

export type CostName = 'l2' | 'normal' | 'rbf';

export interface CostModel {
  readonly name: CostName;
  readonly n: number;
  /**
   * Called by PELT once for every t = 1..n in increasing order, before any cost(s, t) query at that t, with
   * the candidate starts it may still ask about (ascending). Stateless costs ignore it.
   */
  extend(t: number, live: Int32Array, liveCount: number): void;
  /** Cost of segment [s, t). Valid for any s after extend(t) if s was live; prefix-sum costs take any s,t. */
  cost(s: number, t: number): number;
  /** Cost reduction C(a,c) - C(a,b) - C(b,c) for each split b in bs (a < b < c). Any a, c; no PELT state. */
  splitGains(a: number, c: number, bs: readonly number[]): Float64Array;
}

function prefixSums(x: ArrayLike<number>): { s1: Float64Array; s2: Float64Array } {
  const n = x.length;
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    s1[i + 1] = s1[i] + x[i];
    s2[i + 1] = s2[i] + x[i] * x[i];
  }
  return { s1, s2 };
}

function genericGains(m: CostModel, a: number, c: number, bs: readonly number[]): Float64Array {
  const whole = m.cost(a, c);
  return Float64Array.from(bs, (b) => whole - m.cost(a, b) - m.cost(b, c));
}

/** Sum of squared deviations from the segment mean (piecewise-constant mean model). */
export class L2Cost implements CostModel {
  readonly name = 'l2' as const;
  readonly n: number;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  constructor(x: ArrayLike<number>) {
    this.n = x.length;
    ({ s1: this.s1, s2: this.s2 } = prefixSums(x));
  }
  extend(): void {}
  cost(s: number, t: number): number {
    const sum = this.s1[t] - this.s1[s];
    const c = this.s2[t] - this.s2[s] - (sum * sum) / (t - s);
    return c > 0 ? c : 0;
  }
  splitGains(a: number, c: number, bs: readonly number[]): Float64Array {
    return genericGains(this, a, c, bs);
  }
}

/**
 * Gaussian with a change in mean AND variance: -2 log-likelihood at the MLE, L*ln(v) + SS/v with
 * v = max(sample variance, floor). Writing SS/v instead of the usual constant L keeps the cost a true
 * constrained MLE when the variance hits the floor, so subadditivity (and exact pruning) survives
 * constant segments, where plain L*ln(var) would be -Infinity.
 */
export class NormalCost implements CostModel {
  readonly name = 'normal' as const;
  readonly n: number;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  constructor(
    x: ArrayLike<number>,
    readonly varianceFloor = 1e-8,
  ) {
    this.n = x.length;
    ({ s1: this.s1, s2: this.s2 } = prefixSums(x));
  }
  extend(): void {}
  cost(s: number, t: number): number {
    const len = t - s;
    const sum = this.s1[t] - this.s1[s];
    let ss = this.s2[t] - this.s2[s] - (sum * sum) / len;
    if (ss < 0) ss = 0;
    const variance = ss / len;
    const v = variance > this.varianceFloor ? variance : this.varianceFloor;
    return len * Math.log(v) + ss / v;
  }
  splitGains(a: number, c: number, bs: readonly number[]): Float64Array {
    return genericGains(this, a, c, bs);
  }
}

/** ruptures' RBF kernel: exp(-clip(gamma*d^2, 0.01, 100)), the clip rounded to float32 as its C code does. */
export function rbfKernel(x: number, y: number, gamma: number): number {
  const d = x - y;
  let g = gamma * d * d;
  if (g < 0.01) g = 0.01;
  else if (g > 100) g = 100;
  return Math.exp(-Math.fround(g));
}

/** Count of pairs i<j with sorted[j]-sorted[i] <= d: two pointers, O(n). */
function countPairsWithin(sorted: Float64Array, d: number): number {
  let count = 0;
  let i = 0;
  for (let j = 1; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] > d) i++;
    count += j - i;
  }
  return count;
}

/** The k-th smallest (1-based) pairwise absolute difference, exactly, by bisection on the double's bits. */
function kthPairDistance(sorted: Float64Array, k: number): number {
  const span = sorted[sorted.length - 1] - sorted[0];
  if (countPairsWithin(sorted, 0) >= k) return 0;
  let lo = 0; // count(<= lo) < k
  let hi = span; // count(<= hi) >= k
  const buf = new DataView(new ArrayBuffer(8));
  const bits = (v: number): bigint => (buf.setFloat64(0, v), buf.getBigUint64(0));
  const fromBits = (b: bigint): number => (buf.setBigUint64(0, b), buf.getFloat64(0));
  let bl = bits(lo);
  let bh = bits(hi);
  while (bh - bl > 1n) {
    const bm = (bl + bh) >> 1n;
    if (countPairsWithin(sorted, fromBits(bm)) >= k) bh = bm;
    else bl = bm;
  }
  lo = fromBits(bl);
  hi = fromBits(bh);
  // hi is the smallest double with count >= k, so the k-th distance is the smallest difference above lo.
  let best = Infinity;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (j <= i) j = i + 1;
    while (j < sorted.length && sorted[j] - sorted[i] <= lo) j++;
    if (j < sorted.length) {
      const d = sorted[j] - sorted[i];
      if (d < best) best = d;
    }
  }
  return best <= hi ? best : hi;
}

/**
 * Median heuristic gamma = 1 / median of all pairwise squared distances (i < j), computed exactly in
 * O(n log n + 64 n) time and O(n) memory (ruptures materialises all n^2/2 distances). 1 if the median is 0.
 */
export function medianHeuristicGamma(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 1;
  const sorted = Float64Array.from(x).sort();
  const pairs = (n * (n - 1)) / 2;
  let med: number;
  if (pairs % 2 === 1) {
    const d = kthPairDistance(sorted, (pairs + 1) / 2);
    med = d * d;
  } else {
    const d1 = kthPairDistance(sorted, pairs / 2);
    const d2 = kthPairDistance(sorted, pairs / 2 + 1);
    med = (d1 * d1 + d2 * d2) / 2;
  }
  return med > 0 ? 1 / med : 1;
}

/**
 * Kernel cost C(s,t) = sum_i k(x_i,x_i) - (1/(t-s)) sum_{i,j in [s,t)} k(x_i,x_j). For each live start s we
 * keep W[s] = sum_{i,j in [s,t)} k; growing t by one adds 2*sum_{i in [s,t-1)} k(x_i,x_{t-1}) + k(x,x),
 * and those column sums for all live s come from one backward pass from t-2 down to the oldest live start.
 * Time per step is O(t - oldest live start) (PELT's pruning keeps that short when there are changes);
 * memory is O(n).
 */
export class RbfCost implements CostModel {
  readonly name = 'rbf' as const;
  readonly n: number;
  readonly gamma: number;
  /** k(x, x): the clip makes it exp(-fround(0.01)), not 1. */
  readonly diag: number;
  private readonly x: Float64Array;
  private readonly w: Float64Array;
  private readonly wAt: Int32Array;
  private t = 0;
  constructor(x: ArrayLike<number>, gamma?: number) {
    this.x = Float64Array.from(x);
    this.n = this.x.length;
    this.gamma = gamma ?? medianHeuristicGamma(this.x);
    this.diag = Math.exp(-Math.fround(0.01));
    this.w = new Float64Array(this.n + 1);
    this.wAt = new Int32Array(this.n + 1).fill(-1);
  }

  extend(t: number, live: Int32Array, liveCount: number): void {
    const x = this.x;
    const w = this.w;
    const p = t - 1; // the new point
    const xp = x[p];
    const g = this.gamma;
    const kd = this.diag;
    // New start s = p has an empty segment before this step.
    let li = liveCount - 1;
    let acc = 0;
    let i = p - 1;
    while (li >= 0) {
      const s = live[li];
      if (s > p) {
        li--;
        continue;
      }
      // accumulate column sum over [s, p)
      for (; i >= s; i--) {
        const d = x[i] - xp;
        let q = g * d * d;
        if (q < 0.01) q = 0.01;
        else if (q > 100) q = 100;
        acc += Math.exp(-Math.fround(q));
      }
      if (this.wAt[s] !== p) {
        if (s === p) w[s] = 0;
        else throw new Error(`RbfCost: start ${s} was not tracked up to ${p}`);
      }
      w[s] += 2 * acc + kd;
      this.wAt[s] = t;
      li--;
    }
    this.t = t;
  }

  cost(s: number, t: number): number {
    const len = t - s;
    if (this.wAt[s] === t && this.t === t) return len * this.diag - this.w[s] / len;
    return this.directCost(s, t);
  }

  /** O(L^2) time, O(1) memory; for queries outside PELT's sweep. */
  directCost(s: number, t: number): number {
    const len = t - s;
    let sum = 0;
    for (let i = s; i < t; i++) {
      for (let j = i + 1; j < t; j++) sum += rbfKernel(this.x[i], this.x[j], this.gamma);
    }
    const total = 2 * sum + len * this.diag;
    return len * this.diag - total / len;
  }

  /** All gains from one O((c-a)^2) pass: left and right row sums give every sub-block's kernel sum. */
  splitGains(a: number, c: number, bs: readonly number[]): Float64Array {
    const len = c - a;
    const left = new Float64Array(len); // sum_{j in [a,i)} k(i,j)
    const right = new Float64Array(len); // sum_{j in (i,c)} k(i,j)
    for (let i = a; i < c; i++) {
      for (let j = i + 1; j < c; j++) {
        const k = rbfKernel(this.x[i], this.x[j], this.gamma);
        right[i - a] += k;
        left[j - a] += k;
      }
    }
    const prefL = new Float64Array(len + 1);
    for (let i = 0; i < len; i++) prefL[i + 1] = prefL[i] + this.diag + 2 * left[i];
    const sufR = new Float64Array(len + 1);
    for (let i = len - 1; i >= 0; i--) sufR[i] = sufR[i + 1] + this.diag + 2 * right[i];
    const whole = len * this.diag - prefL[len] / len;
    return Float64Array.from(bs, (b) => {
      const l1 = b - a;
      const l2 = c - b;
      const c1 = l1 * this.diag - prefL[l1] / l1;
      const c2 = l2 * this.diag - sufR[l1] / l2;
      return whole - c1 - c2;
    });
  }
}

export function makeCost(name: CostName, x: ArrayLike<number>): CostModel {
  if (name === 'l2') return new L2Cost(x);
  if (name === 'normal') return new NormalCost(x);
  return new RbfCost(x);
}
