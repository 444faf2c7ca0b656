/**
 * PAT soft sensors: estimate an offline quantity (titer, glucose, DCW) from online signals. A linear
 * single-input sensor as in SporeDB, and a multi-input least-squares sensor fitted from assay data whose
 * predictions carry the regression's prediction standard error (parameter plus residual uncertainty).
 */

export interface SoftSensorPrediction {
  value: Float64Array;
  /** 1 sigma per point, or null when the sensor has no uncertainty model. */
  uncertainty: Float64Array | null;
}

export interface SoftSensor {
  readonly inputVariables: readonly string[];
  readonly outputVariable: string;
  /** inputs[k] holds the values of inputVariables[k]; all the same length. */
  predict(inputs: readonly ArrayLike<number>[]): SoftSensorPrediction;
}

export class LinearSoftSensor implements SoftSensor {
  readonly inputVariables: readonly string[];
  constructor(
    input: string,
    readonly outputVariable: string,
    readonly slope: number,
    readonly intercept: number,
    readonly predictionStd = 0,
  ) {
    this.inputVariables = [input];
  }
  predict(inputs: readonly ArrayLike<number>[]): SoftSensorPrediction {
    if (inputs.length !== 1) throw new Error('LinearSoftSensor takes exactly one input');
    const x = inputs[0];
    const value = Float64Array.from(x, (v) => this.slope * v + this.intercept);
    return { value, uncertainty: this.predictionStd > 0 ? new Float64Array(x.length).fill(this.predictionStd) : null };
  }
}

/** Solve the symmetric positive-definite system A x = b (Cholesky); A is p x p row-major. Throws if singular. */
function choleskyInverse(A: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (!(s > 1e-12 * Math.max(1, Math.abs(A[i * p + i])))) throw new Error('Design matrix is singular (collinear inputs or too few samples)');
        L[i * p + i] = Math.sqrt(s);
      } else L[i * p + j] = s / L[j * p + j];
    }
  }
  // inverse via solving L L^T X = I column by column
  const inv = new Float64Array(p * p);
  const y = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    for (let i = 0; i < p; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i * p + k] * y[k];
      y[i] = s / L[i * p + i];
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < p; k++) s -= L[k * p + i] * inv[k * p + c];
      inv[i * p + c] = s / L[i * p + i];
    }
  }
  return inv;
}

export interface LeastSquaresModel {
  inputVariables: string[];
  outputVariable: string;
  /** [intercept, b1, ..., bk] */
  coefficients: number[];
  /** (X^T X)^-1, row-major, (k+1)^2 */
  covarianceUnscaled: number[];
  residualStd: number;
  rSquared: number;
  n: number;
}

/** y = b0 + sum b_k x_k fitted by ordinary least squares (centred normal equations for conditioning). */
export class LeastSquaresSoftSensor implements SoftSensor {
  constructor(readonly model: LeastSquaresModel) {}

  get inputVariables(): readonly string[] {
    return this.model.inputVariables;
  }
  get outputVariable(): string {
    return this.model.outputVariable;
  }

  /** Fit from paired samples: inputs[k][i] is input k at assay i, y[i] the assay value. */
  static fit(inputVariables: readonly string[], outputVariable: string, inputs: readonly ArrayLike<number>[], y: ArrayLike<number>): LeastSquaresSoftSensor {
    const k = inputVariables.length;
    if (inputs.length !== k) throw new Error('one input array per input variable');
    const n = y.length;
    const p = k + 1;
    if (n <= p) throw new Error(`need more than ${p} samples to fit ${k} inputs with uncertainty`);
    const XtX = new Float64Array(p * p);
    const Xty = new Float64Array(p);
    const row = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      row[0] = 1;
      for (let j = 0; j < k; j++) row[j + 1] = inputs[j][i];
      for (let a = 0; a < p; a++) {
        Xty[a] += row[a] * y[i];
        for (let b = 0; b < p; b++) XtX[a * p + b] += row[a] * row[b];
      }
    }
    const inv = choleskyInverse(XtX, p);
    const beta = new Float64Array(p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) beta[a] += inv[a * p + b] * Xty[b];
    let sse = 0;
    let my = 0;
    for (let i = 0; i < n; i++) my += y[i];
    my /= n;
    let sst = 0;
    for (let i = 0; i < n; i++) {
      let f = beta[0];
      for (let j = 0; j < k; j++) f += beta[j + 1] * inputs[j][i];
      sse += (y[i] - f) ** 2;
      sst += (y[i] - my) ** 2;
    }
    return new LeastSquaresSoftSensor({
      inputVariables: [...inputVariables],
      outputVariable,
      coefficients: Array.from(beta),
      covarianceUnscaled: Array.from(inv),
      residualStd: Math.sqrt(sse / (n - p)),
      rSquared: sst > 0 ? 1 - sse / sst : 1,
      n,
    });
  }

  /** Prediction and its 1-sigma prediction error sqrt(s^2 (1 + x0^T (X^T X)^-1 x0)). */
  predict(inputs: readonly ArrayLike<number>[]): SoftSensorPrediction {
    const { coefficients: b, covarianceUnscaled: C, residualStd: s } = this.model;
    const k = b.length - 1;
    if (inputs.length !== k) throw new Error(`expected ${k} inputs`);
    const m = k ? inputs[0].length : 0;
    const value = new Float64Array(m);
    const unc = new Float64Array(m);
    const x0 = new Float64Array(k + 1);
    for (let i = 0; i < m; i++) {
      x0[0] = 1;
      for (let j = 0; j < k; j++) x0[j + 1] = inputs[j][i];
      let f = 0;
      let q = 0;
      for (let a = 0; a <= k; a++) {
        f += b[a] * x0[a];
        let r = 0;
        for (let c = 0; c <= k; c++) r += C[a * (k + 1) + c] * x0[c];
        q += x0[a] * r;
      }
      value[i] = f;
      unc[i] = s * Math.sqrt(1 + q);
    }
    return { value, uncertainty: unc };
  }

  toJSON(): LeastSquaresModel {
    return this.model;
  }
}
