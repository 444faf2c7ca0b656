/** Calibration curves (poly, highest power first, as Pioreactor stores `curve_data_`): evaluate and invert. */

export interface CurveCalibration {
  calibration_name: string;
  calibration_type?: string;
  curve_type: 'poly';
  curve_data_: number[];
  x: string;
  y: string;
  recorded_data?: { x: number[]; y: number[] };
  [k: string]: unknown;
}

export function evalPoly(coef: readonly number[], x: number): number {
  let s = 0;
  for (const c of coef) s = s * x + c;
  return s;
}

/** Invert y = p(x): linear exactly; otherwise bisection over the recorded domain (clamped to its ends). */
export function yToX(cal: Pick<CurveCalibration, 'curve_data_' | 'recorded_data'>, y: number): number {
  const c = cal.curve_data_;
  if (c.length === 2) {
    if (c[0] === 0) throw new RangeError('flat calibration curve');
    return (y - c[1]) / c[0];
  }
  if (c.length === 1) throw new RangeError('constant calibration curve');
  const xs = cal.recorded_data?.x ?? [0, 100];
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  const flo = evalPoly(c, lo) - y;
  const fhi = evalPoly(c, hi) - y;
  if (flo * fhi > 0) return Math.abs(flo) < Math.abs(fhi) ? lo : hi;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    const fm = evalPoly(c, mid) - y;
    if ((fm < 0) === (flo < 0)) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Stirring feed-forward (§4): `L(rpm) = 1.05 (0.1 DC_est + 0.9 inverse(rpm))` with a calibration, else DC_est. */
export class StirringFeedForward {
  constructor(
    public dcEst: number,
    readonly cal: Pick<CurveCalibration, 'curve_data_' | 'recorded_data'> | null,
  ) {}

  lookup(rpm: number): number {
    if (!this.cal) return this.dcEst;
    return 1.05 * (this.dcEst - 0.9 * (this.dcEst - yToX(this.cal, rpm)));
  }

  /** On start: DC_est from the inverse, then through the lookup. */
  start(target: number): number {
    if (this.cal) this.dcEst = yToX(this.cal, target);
    this.dcEst = this.lookup(target);
    return this.dcEst;
  }

  /** On a target change. */
  retarget(target: number): number {
    this.dcEst = target === 0 ? 0 : this.lookup(target);
    return this.dcEst;
  }
}
