import assert from 'node:assert/strict';
import { L2Cost, medianHeuristicGamma, NormalCost, RbfCost, rbfKernel, type CostModel } from '../../leader/analytics/costs.js';
import { autoPenalty, pelt, peltWithCost } from '../../leader/analytics/pelt.js';
import { rng } from './prng.js';

/** Optimal partitioning, O(n^2) cost evaluations, no pruning: the reference PELT must equal. */
function bruteForce(n: number, cost: (s: number, t: number) => number, pen: number, minSize: number, jump: number): { bkps: number[]; value: number } {
  const V = new Array<number>(n + 1).fill(Infinity);
  const last = new Array<number>(n + 1).fill(-1);
  V[0] = 0;
  for (let t = 1; t <= n; t++) {
    if (t % jump !== 0 && t !== n) continue;
    for (let s = 0; s + minSize <= t; s++) {
      if (s !== 0 && (s % jump !== 0 || !Number.isFinite(V[s]))) continue;
      const v = V[s] + cost(s, t) + pen;
      if (v < V[t]) {
        V[t] = v;
        last[t] = s;
      }
    }
  }
  const bkps: number[] = [];
  for (let t = n; t > 0; t = last[t]) bkps.push(t);
  return { bkps: bkps.reverse(), value: V[n] };
}

/** RBF cost from the full Gram matrix (fine for short series; the library never builds it). */
function gramCost(x: number[], gamma: number): (s: number, t: number) => number {
  const n = x.length;
  const P = Array.from({ length: n + 1 }, () => new Float64Array(n + 1));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) P[i + 1][j + 1] = rbfKernel(x[i], x[j], gamma) + P[i][j + 1] + P[i + 1][j] - P[i][j];
  const kd = Math.exp(-Math.fround(0.01));
  return (s, t) => (t - s) * kd - (P[t][t] - P[s][t] - P[t][s] + P[s][s]) / (t - s);
}

function randomSeries(r: ReturnType<typeof rng>): number[] {
  const n = r.int(5, 45);
  const out: number[] = [];
  let level = r.normal(0, 2);
  let sd = 0.2 + r.uniform();
  for (let i = 0; i < n; i++) {
    if (r.uniform() < 0.1) {
      level = r.normal(0, 3);
      sd = 0.2 + r.uniform() * 2;
    }
    out.push(level + r.normal(0, sd));
  }
  return out;
}

describe('analytics PELT', () => {
  it('sporedb-analytics.md §2 / §11 vector: auto penalty of 1..10 = ln(10)*8.25 = 18.99632701720088', () => {
    const p = autoPenalty([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(Math.abs(p - 18.99632701720088) / 18.99632701720088 < 1e-10);
    assert.equal(autoPenalty([3, 3, 3]), Math.log(3) * 1, 'variance < 1e-10 becomes 1');
  });

  it('sporedb-analytics.md §2: RBF kernel clip is float32, so k(x,x) = exp(-fround(0.01)) ~ 0.990050', () => {
    assert.equal(rbfKernel(2, 2, 1), Math.exp(-Math.fround(0.01)));
    assert.ok(Math.abs(rbfKernel(2, 2, 1) - 0.99005) < 1e-6);
    assert.equal(rbfKernel(0, 100, 1), Math.exp(-100));
  });

  it('median heuristic gamma equals 1/median of all pairwise squared distances (brute force), without n^2 memory', () => {
    const r = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = r.int(2, 60);
      const x = Array.from({ length: n }, () => (r.uniform() < 0.2 ? r.int(0, 3) : r.normal(0, 5)));
      const d: number[] = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d.push((x[i] - x[j]) ** 2);
      d.sort((a, b) => a - b);
      const m = d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
      const expected = m > 0 ? 1 / m : 1;
      assert.ok(Math.abs(medianHeuristicGamma(x) - expected) <= 1e-12 * expected, `trial ${trial}`);
    }
  });

  for (const name of ['l2', 'normal', 'rbf'] as const) {
    it(`PELT (${name}) equals brute-force optimal partitioning on 200 random short series (seeded), with minSize and jump`, () => {
      const r = rng(name === 'l2' ? 1 : name === 'normal' ? 2 : 3);
      for (let trial = 0; trial < 200; trial++) {
        const x = randomSeries(r);
        const minSize = r.int(1, 4);
        const jump = r.int(1, 3);
        let model: CostModel;
        let ref: (s: number, t: number) => number;
        if (name === 'l2') {
          model = new L2Cost(x);
          ref = (s, t) => new L2Cost(x).cost(s, t);
        } else if (name === 'normal') {
          model = new NormalCost(x);
          ref = (s, t) => new NormalCost(x).cost(s, t);
        } else {
          const m = new RbfCost(x);
          model = m;
          ref = gramCost(x, m.gamma);
        }
        const pen = name === 'rbf' ? 0.05 + r.uniform() * 2 : name === 'normal' ? 1 + r.uniform() * 8 : 0.5 + r.uniform() * 10;
        const got = peltWithCost(model, pen, minSize, jump);
        const exp = bruteForce(x.length, ref, pen, minSize, jump);
        const ctx = `trial ${trial} n=${x.length} minSize=${minSize} jump=${jump} pen=${pen}`;
        if (!Number.isFinite(exp.value)) continue; // n < minSize: nothing feasible
        assert.ok(Math.abs(got.cost + pen * got.breakpoints.length - exp.value) <= 1e-8 * Math.max(1, Math.abs(exp.value)), ctx);
        assert.deepEqual(got.breakpoints, exp.bkps, ctx);
      }
    });
  }

  it('RBF cost evaluated incrementally matches the Gram-matrix cost and splitGains', () => {
    const r = rng(11);
    const x = Array.from({ length: 40 }, () => r.normal());
    const m = new RbfCost(x);
    const ref = gramCost(x, m.gamma);
    assert.ok(Math.abs(m.directCost(3, 31) - ref(3, 31)) < 1e-10);
    const g = m.splitGains(2, 35, [10, 20]);
    assert.ok(Math.abs(g[0] - (ref(2, 35) - ref(2, 10) - ref(10, 35))) < 1e-10);
    assert.ok(Math.abs(g[1] - (ref(2, 35) - ref(2, 20) - ref(20, 35))) < 1e-10);
  });

  it('finds an obvious mean shift and returns breakpoints ending at n', () => {
    const x = [...Array(50).fill(0), ...Array(50).fill(5)].map((v, i) => v + 0.01 * Math.sin(i));
    for (const c of ['l2', 'normal', 'rbf'] as const) assert.deepEqual(pelt(x, c, { minSize: 5 }).breakpoints, [50, 100], c);
  });
});
