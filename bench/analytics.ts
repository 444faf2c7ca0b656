/**
 * `npm run build && npm run bench -- analytics` times the analytics library's hot paths against the issue's
 * budgets (2-core machine): BOCPD >= 200k updates/s; PELT L2 n=1e4 < 50 ms and n=1e5 < 1 s; banded DTW
 * 1e4 x 1e4 with a 10 % band < 500 ms. RBF PELT times are reported for information, and the growth-rate
 * phase detector on a 1e4 / 1e5 sample culture. Synthetic, seeded data.
 */
import { mulberry32 } from '../shared/random.js';
import { Bocpd } from '../leader/analytics/bocpd.js';
import { L2Cost, RbfCost } from '../leader/analytics/costs.js';
import { dtwDistance } from '../leader/analytics/dtw.js';
import { autoPenalty, peltWithCost } from '../leader/analytics/pelt.js';
import { detectGrowthPhases } from '../leader/analytics/phases.js';

function gen(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-300))) * Math.cos(2 * Math.PI * u());
}

/** Piecewise-constant levels every `seg` samples plus N(0,1) noise. */
function piecewise(n: number, seg: number, seed: number): Float64Array {
  const g = gen(seed);
  const x = new Float64Array(n);
  let level = 0;
  for (let i = 0; i < n; i++) {
    if (i % seg === 0) level = g() * 5;
    x[i] = level + g();
  }
  return x;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

export async function run(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  // BOCPD
  const n = quick ? 200_000 : 1_000_000;
  const xs = piecewise(n, 400, 1).map((v) => v * 0.1);
  for (const cfg of [
    { pruneMass: 1e-8, maxRunLength: Infinity }, // the default
    { pruneMass: 1e-8, maxRunLength: 500 },
    { pruneMass: 1e-4, maxRunLength: 500 },
    { pruneMass: 0, maxRunLength: 500 },
  ]) {
    const b = new Bocpd({ hazardRate: 0.004, ...cfg });
    let live = 0;
    const [, ms] = time(() => {
      for (let i = 0; i < n; i++) {
        b.update(xs[i]);
        live += b.liveRunLengths;
      }
    });
    console.log(
      `BOCPD pruneMass=${cfg.pruneMass} maxRunLength=${cfg.maxRunLength}: ${Math.round((n / ms) * 1000).toLocaleString('en')} updates/s, mean live run lengths ${(live / n).toFixed(1)} (${n} updates, level change every 400)`,
    );
  }
  // PELT (one warm-up pass so the first row is not JIT time)
  peltWithCost(new L2Cost(piecewise(2000, 200, 9)), 10, 10, 1);
  peltWithCost(new RbfCost(piecewise(2000, 200, 9)), 3, 10, 1);
  for (const size of [1e3, 1e4, 1e5]) {
    const x = piecewise(size, 200, 2);
    const pen = autoPenalty(x);
    const [r, ms] = time(() => peltWithCost(new L2Cost(x), pen, 10, 1));
    console.log(`PELT L2  n=${size.toExponential(0)}: ${ms.toFixed(1)} ms, ${r.breakpoints.length} segments`);
  }
  for (const size of quick ? [1e3, 1e4] : [1e3, 1e4, 1e5]) {
    const x = piecewise(size, 200, 3);
    const [r, ms] = time(() => {
      const m = new RbfCost(x);
      return peltWithCost(m, Math.log(size) * 0.5, 10, 1);
    });
    console.log(`PELT RBF n=${size.toExponential(0)}: ${ms.toFixed(1)} ms (incl. exact median-heuristic gamma), ${r.breakpoints.length} segments`);
  }
  // Growth-rate phases on a logistic culture with 2 % noise, 10^4 and 10^5 samples over 48 h
  for (const size of [1e4, 1e5]) {
    const g = gen(5);
    const ts = Float64Array.from({ length: size }, (_, i) => (i * 48 * 3_600_000) / size);
    const od = ts.map((t) => (0.05 + 2 / (1 + Math.exp(-0.6 * (t / 3_600_000 - 12)))) * (1 + 0.02 * g()));
    const [r, ms] = time(() => detectGrowthPhases(ts, od));
    console.log(`growth phases n=${size.toExponential(0)}: ${ms.toFixed(1)} ms, ${r.segments.map((s) => s.phase).join(' ')}, mu_max ${r.muMax?.mu.toFixed(3)} /h`);
  }
  // DTW
  const len = 10_000;
  const a = new Float64Array(len);
  const b = new Float64Array(len);
  const g = gen(4);
  for (let i = 0; i < len; i++) {
    a[i] = Math.sin(i / 300) + 0.1 * g();
    b[i] = Math.sin(i / 310 + 0.2) + 0.1 * g();
  }
  dtwDistance(a.subarray(0, 1000), b.subarray(0, 1000), 1, 100); // warm-up
  const [d, ms] = time(() => dtwDistance(a, b, 1, len / 10));
  console.log(`DTW banded 1e4 x 1e4, radius 1000 (10 %): ${ms.toFixed(1)} ms, distance ${d.toFixed(3)}, memory O(band)`);
}
