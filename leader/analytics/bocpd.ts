/**
 * Bayesian online change-point detection (Adams & MacKay 2007) with a Normal-Inverse-Gamma prior and a
 * constant hazard, as an incremental class the leader can feed one reading at a time and persist.
 *
 * Run lengths are stored sparsely (ascending) so that pruning can drop improbable ones: an update costs
 * O(live run lengths), not O(t).
 *
 * Defaults and what they trade: pruneMass 1e-8 drops a run length once its posterior is below 1e-8, which
 * keeps some 20-30 run lengths live (`npm run bench -- analytics`); the changepoints differ from the exact
 * recursion only if a hypothesis that fell below 1e-8 would later have won, which no test series shows
 * (test/analytics/bocpd.test.ts: the spec's series and 20 bursty ones). maxRunLength is Infinity: SporeDB's
 * truncation at 500 folds the mass of every longer run into "changepoint now", so after 500 quiet samples it
 * both fires changepoints the exact recursion does not and, at the end of a burst, loses ones it does
 * (hundreds of differences on the bursty series); pruning already bounds the cost, so truncation is
 * available (maxRunLength = 500 reproduces SporeDB) but off by default. kappa and alpha depend only on the run length (kappa0 + r, alpha0 + r/2),
 * so only mu and beta are stored per run length and the Student-t normalising constants come from a table.
 */

export interface BocpdConfig {
  hazardRate: number;
  mu0: number;
  kappa0: number;
  alpha0: number;
  beta0: number;
  /** Mass on run lengths 0..9 needed to declare a change. */
  threshold: number;
  /** Run lengths above this fold into "changepoint now" (SporeDB's truncation at 500; default Infinity, off). */
  maxRunLength: number;
  /** Run lengths whose posterior falls below this are dropped (0 = exact recursion). */
  pruneMass: number;
}

export const DEFAULT_BOCPD: BocpdConfig = {
  hazardRate: 0.01,
  mu0: 0,
  kappa0: 1,
  alpha0: 1,
  beta0: 1,
  threshold: 0.5,
  maxRunLength: Infinity,
  pruneMass: 1e-8,
};

export interface BocpdStep {
  detected: boolean;
  /** Posterior mass on run lengths 0..9. */
  shortMass: number;
  /** Most probable run length. */
  mapRunLength: number;
}

export interface BocpdState {
  version: 1;
  config: BocpdConfig;
  t: number;
  runLengths: number[];
  probs: number[];
  mu: number[];
  beta: number[];
}

/** Lanczos approximation of ln Gamma(x), x > 0 (g = 7, 9 terms): ~1e-15 relative accuracy. */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

export class Bocpd {
  readonly config: BocpdConfig;
  private t = 0;
  private n = 1; // live entries
  private rl: Int32Array;
  private p: Float64Array;
  private mu: Float64Array;
  private beta: Float64Array;
  // double buffers for the next step
  private rl2: Int32Array;
  private p2: Float64Array;
  private mu2: Float64Array;
  private beta2: Float64Array;
  /** lgamma(alpha+1/2) - lgamma(alpha) - ln(2 pi alpha)/2 per run length, grown on demand. */
  private tConst: Float64Array = new Float64Array(0);

  constructor(config: Partial<BocpdConfig> = {}) {
    this.config = { ...DEFAULT_BOCPD, ...config };
    const c = this.config;
    if (!(c.hazardRate > 0 && c.hazardRate < 1)) throw new Error('hazardRate must be in (0, 1)');
    if (!(c.kappa0 > 0 && c.alpha0 > 0 && c.beta0 > 0)) throw new Error('kappa0, alpha0, beta0 must be > 0');
    if (!(c.maxRunLength >= 1)) throw new Error('maxRunLength must be >= 1');
    const cap = Number.isFinite(c.maxRunLength) ? c.maxRunLength + 2 : 64;
    this.rl = new Int32Array(cap);
    this.p = new Float64Array(cap);
    this.mu = new Float64Array(cap);
    this.beta = new Float64Array(cap);
    this.rl2 = new Int32Array(cap);
    this.p2 = new Float64Array(cap);
    this.mu2 = new Float64Array(cap);
    this.beta2 = new Float64Array(cap);
    this.reset();
  }

  reset(): void {
    this.t = 0;
    this.n = 1;
    this.rl[0] = 0;
    this.p[0] = 1;
    this.mu[0] = this.config.mu0;
    this.beta[0] = this.config.beta0;
  }

  /** Observations processed. */
  get time(): number {
    return this.t;
  }

  /** Number of run lengths carried (the cost of the next update). */
  get liveRunLengths(): number {
    return this.n;
  }

  /** The run-length posterior as (runLength, probability) pairs, ascending. */
  posterior(): { runLength: number; prob: number }[] {
    return Array.from({ length: this.n }, (_, i) => ({ runLength: this.rl[i], prob: this.p[i] }));
  }

  private ensureConst(r: number): void {
    if (r < this.tConst.length) return;
    const len = Math.max(r + 1, this.tConst.length * 2, 64);
    const tc = new Float64Array(len);
    tc.set(this.tConst);
    for (let k = this.tConst.length; k < len; k++) {
      const a = this.config.alpha0 + k / 2;
      tc[k] = lnGamma(a + 0.5) - lnGamma(a) - 0.5 * Math.log(2 * Math.PI * a);
    }
    this.tConst = tc;
  }

  private grow(need: number): void {
    if (need <= this.rl.length) return;
    const len = Math.max(need, this.rl.length * 2);
    const g = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(len);
      b.set(a);
      return b;
    };
    this.rl = g(this.rl);
    this.p = g(this.p);
    this.mu = g(this.mu);
    this.beta = g(this.beta);
    this.rl2 = g(this.rl2);
    this.p2 = g(this.p2);
    this.mu2 = g(this.mu2);
    this.beta2 = g(this.beta2);
  }

  /** Feed one observation. Non-finite x is ignored (state unchanged), as in SporeDB. */
  update(x: number): BocpdStep {
    if (!Number.isFinite(x)) return { detected: false, shortMass: 0, mapRunLength: this.n ? this.rl[0] : 0 };
    const c = this.config;
    const H = c.hazardRate;
    const n = this.n;
    this.grow(n + 2);
    this.ensureConst(this.rl[n - 1] + 1);
    const { rl, p, mu, beta, rl2, p2, mu2, beta2, tConst } = this;
    let cp = 0;
    let total = 0;
    // Entry i -> run length rl[i]+1 at index i+1 in the new arrays; index 0 is the change point.
    for (let i = 0; i < n; i++) {
      const r = rl[i];
      const kappa = c.kappa0 + r;
      const alpha = c.alpha0 + r / 2;
      const m = mu[i];
      const b = beta[i];
      // Student-t pdf = exp(tConst) / scale * (1 + z^2/nu)^-(alpha+1/2), with one sqrt, log1p and exp.
      const scale2 = (b * (kappa + 1)) / (alpha * kappa);
      // SporeDB floors the scale at 1e-300, i.e. 1/scale at 1e300.
      const invScale = scale2 > 0 ? Math.min(1 / Math.sqrt(scale2), 1e300) : 1e300;
      const dz = (x - m) * invScale;
      const pdf = Math.exp(tConst[r] - (alpha + 0.5) * Math.log1p((dz * dz) / (2 * alpha))) * invScale;
      const rp = p[i] * pdf;
      cp += rp;
      const g = rp * (1 - H);
      p2[i + 1] = g;
      total += g;
      rl2[i + 1] = r + 1;
      const k1 = kappa + 1;
      mu2[i + 1] = (kappa * m + x) / k1;
      beta2[i + 1] = b + (kappa * (x - m) * (x - m)) / (2 * k1);
    }
    cp *= H;
    p2[0] = cp;
    rl2[0] = 0;
    mu2[0] = c.mu0;
    beta2[0] = c.beta0;
    total += cp;
    let len = n + 1;
    if (!(total > 0)) {
      // Every predictive underflowed: restart from the prior, as SporeDB does.
      p2[0] = 1;
      len = 1;
      total = 1;
    }
    // Truncation: fold run lengths > maxRunLength into "change now" (QUIRK fixed: detection below reads the
    // truncated arrays, never a stale element).
    while (len > 1 && rl2[len - 1] > c.maxRunLength) {
      p2[0] += p2[len - 1];
      len--;
    }
    // Normalise, then prune improbable run lengths (never run length 0).
    const inv = 1 / total;
    let k = 1;
    let kept = p2[0] * inv;
    p2[0] = kept;
    const cut = c.pruneMass;
    for (let i = 1; i < len; i++) {
      const q = p2[i] * inv;
      if (q < cut) continue;
      p2[k] = q;
      rl2[k] = rl2[i];
      mu2[k] = mu2[i];
      beta2[k] = beta2[i];
      kept += q;
      k++;
    }
    len = k;
    let short = 0;
    let mapI = 0;
    let mapP = -1;
    const inv2 = 1 / kept;
    for (let i = 0; i < len; i++) {
      const q = p2[i] * inv2;
      p2[i] = q;
      if (rl2[i] < 10) short += q;
      if (q > mapP) {
        mapP = q;
        mapI = i;
      }
    }
    // swap buffers
    this.rl = rl2;
    this.rl2 = rl;
    this.p = p2;
    this.p2 = p;
    this.mu = mu2;
    this.mu2 = mu;
    this.beta = beta2;
    this.beta2 = beta;
    this.n = len;
    this.t++;
    const mapRunLength = rl2[mapI];
    return { detected: this.t > 10 && mapRunLength < 5 && short > c.threshold, shortMass: Math.min(1, short), mapRunLength };
  }

  toJSON(): BocpdState {
    return {
      version: 1,
      config: { ...this.config, maxRunLength: Number.isFinite(this.config.maxRunLength) ? this.config.maxRunLength : -1 },
      t: this.t,
      runLengths: Array.from(this.rl.subarray(0, this.n)),
      probs: Array.from(this.p.subarray(0, this.n)),
      mu: Array.from(this.mu.subarray(0, this.n)),
      beta: Array.from(this.beta.subarray(0, this.n)),
    };
  }

  static fromJSON(state: BocpdState): Bocpd {
    if (state?.version !== 1) throw new Error('Unsupported BOCPD state');
    const n = state.runLengths.length;
    if (n < 1 || state.probs.length !== n || state.mu.length !== n || state.beta.length !== n) {
      throw new Error('BOCPD state arrays are inconsistent');
    }
    const cfg = { ...state.config, maxRunLength: state.config.maxRunLength < 0 ? Infinity : state.config.maxRunLength };
    const b = new Bocpd(cfg);
    b.grow(n + 2);
    b.rl.set(state.runLengths);
    b.p.set(state.probs);
    b.mu.set(state.mu);
    b.beta.set(state.beta);
    b.n = n;
    b.t = state.t;
    return b;
  }
}

/**
 * SporeDB's batch rule: every index i > 0 whose update fires is a change point (no debouncing unless
 * minGap > 1, which drops detections closer than minGap samples to the previous kept one).
 */
export function bocpdChangepoints(values: ArrayLike<number>, config: Partial<BocpdConfig> = {}, minGap = 1): number[] {
  const det = new Bocpd(config);
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const r = det.update(values[i]);
    if (r.detected && i > 0 && (out.length === 0 || i - out[out.length - 1] >= minGap)) out.push(i);
  }
  return out;
}
