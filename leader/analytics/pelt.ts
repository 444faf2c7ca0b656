/**
 * PELT (Killick, Fearnhead & Eckley 2012), exact: it returns the same optimum as optimal partitioning over
 * all segmentations whose segments are >= minSize long and whose change points are multiples of `jump`.
 *
 * Why not ruptures' pruning: with a minimum segment length, pruning a start s at time t is only safe for
 * T >= t + minSize (before that, t cannot be the last change point for T). ruptures prunes immediately and
 * can miss the optimum; we keep a pruned candidate alive for minSize more steps, then drop it.
 */
import { makeCost, type CostModel, type CostName } from './costs.js';

export interface PeltOptions {
  /** Penalty per segment; default auto = ln(n) * Var(x) (SporeDB's "BIC"). */
  penalty?: number;
  minSize?: number;
  jump?: number;
}

export interface PeltResult {
  /** Sorted end indices of the segments; the last equals n. */
  breakpoints: number[];
  /** Sum of segment costs (no penalty). */
  cost: number;
  penalty: number;
}

/** SporeDB's auto penalty: ln(n) * population variance, with variance < 1e-10 replaced by 1. */
export function autoPenalty(x: ArrayLike<number>): number {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) * (x[i] - mean);
  v /= n;
  if (v < 1e-10) v = 1;
  return Math.log(n) * v;
}

/** Run PELT on a prepared cost model. O(n) memory; time O(n * live candidates). */
export function peltWithCost(model: CostModel, penalty: number, minSize = 2, jump = 1): PeltResult {
  const n = model.n;
  if (n === 0) return { breakpoints: [], cost: 0, penalty };
  if (!(minSize >= 1)) throw new Error('minSize must be >= 1');
  if (!(jump >= 1)) throw new Error('jump must be >= 1');
  minSize = Math.floor(minSize);
  jump = Math.floor(jump);
  const V = new Float64Array(n + 1).fill(Infinity);
  const last = new Int32Array(n + 1).fill(-1);
  V[0] = 0;
  // Live candidates (ascending) and the time at which each one expires (Infinity until pruned).
  let live = new Int32Array(16);
  let expires = new Float64Array(16);
  let count: number;
  let scratch = new Float64Array(16);
  live[0] = 0;
  expires[0] = Infinity;
  count = 1;
  for (let t = 1; t <= n; t++) {
    // Drop candidates whose pruning has become safe.
    let k = 0;
    for (let i = 0; i < count; i++) {
      if (expires[i] > t) {
        live[k] = live[i];
        expires[k] = expires[i];
        k++;
      }
    }
    count = k;
    model.extend(t, live, count);
    if (t % jump !== 0 && t !== n) continue;
    let best = Infinity;
    let arg = -1;
    if (scratch.length < count) scratch = new Float64Array(live.length);
    let eligible = 0;
    for (let i = 0; i < count; i++) {
      const s = live[i];
      if (t - s < minSize) break; // ascending: later starts are even closer
      const v = V[s] + model.cost(s, t);
      scratch[i] = v;
      eligible++;
      if (v + penalty < best) {
        best = v + penalty;
        arg = s;
      }
    }
    if (arg < 0) continue;
    V[t] = best;
    last[t] = arg;
    // Prune: V[s] + C(s,t) > V[t] means s can never beat t once t is admissible (T >= t + minSize).
    for (let i = 0; i < eligible; i++) {
      if (expires[i] === Infinity && scratch[i] > best) expires[i] = t + minSize;
    }
    if (t < n) {
      if (count === live.length) {
        const nl = new Int32Array(live.length * 2);
        nl.set(live);
        live = nl;
        const ne = new Float64Array(expires.length * 2);
        ne.set(expires);
        expires = ne;
      }
      live[count] = t;
      expires[count] = Infinity;
      count++;
    }
  }
  if (!Number.isFinite(V[n])) return { breakpoints: [n], cost: NaN, penalty };
  const bkps: number[] = [];
  for (let t = n; t > 0; t = last[t]) bkps.push(t);
  bkps.reverse();
  // V[n] already holds the costs; re-evaluating them would be O(L^2) per segment for RBF.
  return { breakpoints: bkps, cost: V[n] - penalty * bkps.length, penalty };
}

/** PELT on a signal with the named cost. The penalty defaults to autoPenalty(x). */
export function pelt(x: ArrayLike<number>, cost: CostName = 'l2', opts: PeltOptions = {}): PeltResult & { model: CostModel } {
  const model = makeCost(cost, x);
  const penalty = opts.penalty ?? autoPenalty(x);
  return { ...peltWithCost(model, penalty, opts.minSize ?? 2, opts.jump ?? 1), model };
}
