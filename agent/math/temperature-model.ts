/** Inferring the culture temperature from a heater-off cooling series (reference/pioreactor-control.md §5.2). */

const COEF_2 = [
  -13.7221255, 150.807347, 15.280857, -71.7124615, -81.5352596, -58.2053398, -84.9915201, -36.97293, -0.0851994806,
  11.263567, 33.7434235, 33.6348041, 42.5731033, 67.2551219, 83.7883314, 62.9508694, 49.5735854, 18.6594862,
  0.312848519, -38.2815596, -56.2834504, -92.7840943, -7.62113224, 8.18877406,
];
const INTERCEPT_2 = -6.171633633597331;

/** Model 2.0: `dc` is the heater duty cycle before the series, `temps` the 21 samples. */
export function inferTemperatureModel2(dc: number, temps: readonly number[]): number {
  if (temps.length === 0) throw new RangeError('no temperature samples');
  if (dc === 0) return temps[temps.length - 1];
  if (temps.length !== 21) throw new RangeError(`model 2.0 needs 21 samples, got ${temps.length}`);
  const X = [dc, ...temps].map((v) => v / 35);
  X.push(X[1] * X[1], X[20] * X[0]);
  let s = INTERCEPT_2;
  for (let i = 0; i < COEF_2.length; i++) s += COEF_2[i] * X[i];
  return s;
}

export interface SafetyLimits {
  reduce: number;
  disable: number;
  shutdown: number;
}

/** Heater limits per model: 20 ml v1.0 is lower, all others share 78/80/85. */
export function safetyLimits(model: string, version: string): SafetyLimits {
  if (model === 'pioreactor_20ml' && version === '1.0') return { reduce: 63, disable: 65, shutdown: 66 };
  return { reduce: 78, disable: 80, shutdown: 85 };
}
