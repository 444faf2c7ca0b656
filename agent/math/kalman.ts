/**
 * Growth-rate estimation (reference/pioreactor-control.md §3): normalisation from the warm-up, the
 * initial state and noise, and the linear Kalman filter in log space over x = [ln nOD, mu, mu'].
 */
import { clamp, median, robustSd, simpleLinearRegression } from './stats.js';

export type Vec3 = [number, number, number];
export type Mat3 = [Vec3, Vec3, Vec3];

export interface KalmanSetup {
  /** Channels in reverse-sorted order (e.g. ["2", "1"]): the order of the observation vector. */
  channels: string[];
  factors: Record<string, number>;
  x0: Vec3;
  P0: Mat3;
  Q: Mat3;
  /** Diagonal of the observation noise, per channel. */
  R: number[];
}

const diag3 = (a: number, b: number, c: number): Mat3 => [
  [a, 0, 0],
  [0, b, 0],
  [0, 0, c],
];

/** Reverse-sorted channel ids, as the observation vector is ordered. */
export function channelOrder(channels: Iterable<string>): string[] {
  return [...channels].sort().reverse();
}

/** Normalise one reading: `y_i = od_i / factor_i`, in channel order. Throws on a non-positive factor or value. */
export function scaleObservation(ods: Record<string, number>, factors: Record<string, number>, channels: string[]): number[] {
  return channels.map((c) => {
    const f = factors[c];
    if (!(f > 0)) throw new RangeError(`Non-positive OD normalization factor for channel ${c}: ${f}`);
    const v = ods[c] / f;
    if (!(v > 0)) throw new RangeError(`Non-positive scaled OD for channel ${c}: ${v}`);
    return v;
  });
}

/** Per-channel normalisation factor: the median of that channel's warm-up ODs. */
export function normalizationFactors(warmup: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const chans = channelOrder(new Set(warmup.flatMap((w) => Object.keys(w))));
  const out: Record<string, number> = {};
  for (const c of chans) out[c] = median(warmup.map((w) => w[c]).filter((v) => v !== undefined));
  return out;
}

/** Build the filter's starting point from the warm-up readings (raw ODs per channel). */
export function setupFromWarmup(
  warmup: ReadonlyArray<Record<string, number>>,
  expectedDtHours: number,
  factors = normalizationFactors(warmup),
): KalmanSetup {
  const channels = channelOrder(Object.keys(factors));
  const W = warmup.map((w) => scaleObservation(w, factors, channels));
  const fused = W.map((y) => y.reduce((s, v) => s + v, 0) / y.length);
  const x00 = Math.log(Math.max(median(fused.slice(-5)), 1e-9));
  let R: number[];
  if (W.length < 2) R = channels.map(() => 1e-3);
  else {
    const t = W.map((_, k) => k * expectedDtHours);
    R = channels.map((_, i) => {
      const ly = W.map((y) => Math.log(y[i]));
      const reg = simpleLinearRegression(t, ly);
      return Math.max(robustSd(reg.residuals), 5e-3) ** 2;
    });
  }
  const meanR = R.reduce((s, v) => s + v, 0) / R.length;
  const sigma0 = Math.max(0.05, 2 * robustSd(fused.map((v) => Math.log(v))), Math.sqrt(meanR));
  const s = Math.max(expectedDtHours / (5 / 3600), 0.25);
  return {
    channels,
    factors,
    x0: [x00, 0, 0],
    P0: diag3(sigma0 ** 2, 0.03 ** 2, 0.05 ** 2),
    Q: diag3(1e-8 * s, 5e-8 * s, 5e-6 * s),
    R,
  };
}

export interface KalmanStep {
  x: Vec3;
  P: Mat3;
  outlier: boolean;
}

export class CultureGrowthKalman {
  x: Vec3;
  P: Mat3;
  readonly Q: Mat3;
  R: number[];
  readonly v0: number;
  private v: number;

  constructor(
    setup: Pick<KalmanSetup, 'x0' | 'P0' | 'Q' | 'R'>,
    readonly outlierK: number,
    readonly grMin = -1,
    readonly grMax = 3,
  ) {
    this.x = [...setup.x0] as Vec3;
    this.P = setup.P0.map((r) => [...r]) as Mat3;
    this.Q = setup.Q;
    this.R = [...setup.R];
    const meanR = this.R.reduce((s, v) => s + v, 0) / this.R.length;
    this.v0 = Math.max(2e-5, (3 * meanR) / Math.exp(this.x[0]) ** 2);
    this.v = this.v0;
  }

  update(y: readonly number[], dt: number, dilution: boolean): KalmanStep {
    if (dt < 0) throw new RangeError(`negative dt ${dt}`);
    // 1. fuse sensors by inverse variance
    let inv = 0;
    let zsum = 0;
    for (let i = 0; i < y.length; i++) {
      const z = Math.log(Math.max(y[i], 1e-9));
      const s2 = Math.max(this.R[i] / (y[i] * y[i]), this.v0);
      inv += 1 / s2;
      zsum += z / s2;
    }
    const sigma2 = 1 / inv;
    const z = sigma2 * zsum;
    // 2. predict
    const F: Mat3 = [
      [1, dt, (dt * dt) / 2],
      [0, 1, dt],
      [0, 0, 0.995],
    ];
    const xp: Vec3 = [0, 0, 0];
    for (let i = 0; i < 3; i++) xp[i] = F[i][0] * this.x[0] + F[i][1] * this.x[1] + F[i][2] * this.x[2];
    const FP: number[][] = [0, 1, 2].map((i) => [0, 1, 2].map((j) => F[i][0] * this.P[0][j] + F[i][1] * this.P[1][j] + F[i][2] * this.P[2][j]));
    const Pp = [0, 1, 2].map((i) =>
      [0, 1, 2].map((j) => FP[i][0] * F[j][0] + FP[i][1] * F[j][1] + FP[i][2] * F[j][2] + this.Q[i][j]),
    ) as Mat3;
    if (dilution) {
      Pp[0][0] += 0.05;
      Pp[1][1] += 1e-4;
    }
    // 3. innovation
    const e = z - xp[0];
    let r = Math.max(sigma2, this.v);
    let S = Pp[0][0] + r;
    const zhat = e / Math.sqrt(Math.max(S, 1e-12));
    // 4. outliers are down-weighted
    const outlier = Math.abs(zhat) > this.outlierK;
    if (outlier) {
      r *= Math.max((Math.abs(zhat) / this.outlierK) ** 2, 1);
      S = Pp[0][0] + r;
    }
    // 5. update
    const K = [Pp[0][0] / S, Pp[1][0] / S, Pp[2][0] / S];
    const x: Vec3 = [xp[0] + K[0] * e, xp[1] + K[1] * e, xp[2] + K[2] * e];
    const P = [0, 1, 2].map((i) => [0, 1, 2].map((j) => Pp[i][j] - K[i] * Pp[0][j])) as Mat3;
    for (let i = 0; i < 3; i++) P[i][i] = Math.max(P[i][i], 1e-12);
    x[1] = clamp(x[1], this.grMin, this.grMax);
    if (x.some(Number.isNaN) || P.some((row) => row.some(Number.isNaN))) throw new Error('Kalman filter produced NaN');
    this.x = x;
    this.P = P;
    // 6. adapt
    if (!outlier && !dilution) {
      this.v = Math.max(this.v0, 0.98 * this.v + 0.02 * Math.min(e * e, 16 * S));
      const rr = this.v * Math.exp(x[0]) ** 2;
      this.R = this.R.map(() => rr);
    }
    return { x, P, outlier };
  }

  get growthRate(): number {
    return this.x[1];
  }

  get odFiltered(): number {
    return Math.exp(this.x[0]);
  }
}
