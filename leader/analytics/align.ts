/**
 * Align runs on the start of a phase (default: the first exponential phase) so that runs with different lag
 * times can be compared, and optionally resample onto a uniform grid. Holds any number of variables.
 */
import type { PhaseSegment, PhaseType, Series } from './types.js';
import { MS_PER_HOUR } from './types.js';

export interface RunData {
  name: string;
  /** variable -> series (ts epoch ms ascending) */
  series: Record<string, Series>;
  phases: readonly Pick<PhaseSegment, 'phase' | 'startTs'>[];
}

export interface AlignedTable {
  elapsedHours: Float64Array;
  /** `<run>__<variable>` -> values on elapsedHours (NaN where the run has no sample) */
  columns: Record<string, Float64Array>;
}

export interface AlignOptions {
  anchorPhase?: PhaseType;
  variables?: readonly string[];
  resolutionMinutes?: number;
}

export function columnName(run: string, variable: string): string {
  return `${run}__${variable}`;
}

/** Start of the first phase of the anchor type; throws if the run has none. */
export function anchorTs(phases: RunData['phases'], anchor: PhaseType = 'exponential'): number {
  const p = phases.find((q) => q.phase === anchor);
  if (!p) throw new Error(`Phase ${anchor} not found`);
  return p.startTs;
}

/**
 * Outer join of every run's samples on elapsed hours since its anchor (duplicates averaged). With
 * resolutionMinutes, values are interpolated linearly onto arange(min, max + step/2, step). Grid times
 * before a run's first or after its last sample are NaN (QUIRK fixed: SporeDB's pandas interpolate("index")
 * carried the last value forward, so a run that had ended still weighed on a golden profile's tail).
 */
export function alignRuns(runs: readonly RunData[], opts: AlignOptions = {}): AlignedTable {
  const anchor = opts.anchorPhase ?? 'exponential';
  const cols: { name: string; h: Float64Array; v: Float64Array }[] = [];
  for (const run of runs) {
    const a = anchorTs(run.phases, anchor);
    for (const variable of Object.keys(run.series)) {
      if (opts.variables && !opts.variables.includes(variable)) continue;
      const s = run.series[variable];
      if (s.ts.length === 0) continue;
      const h = new Float64Array(s.ts.length);
      for (let i = 0; i < h.length; i++) h[i] = (s.ts[i] - a) / MS_PER_HOUR;
      cols.push({ name: columnName(run.name, variable), h, v: s.values });
    }
  }
  if (opts.resolutionMinutes !== undefined) {
    const step = opts.resolutionMinutes / 60;
    if (!(step > 0)) throw new Error('resolutionMinutes must be > 0');
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of cols) {
      lo = Math.min(lo, c.h[0]);
      hi = Math.max(hi, c.h[c.h.length - 1]);
    }
    if (!Number.isFinite(lo)) return { elapsedHours: new Float64Array(0), columns: {} };
    const count = Math.floor((hi + step / 2 - lo) / step) + 1;
    const grid = Float64Array.from({ length: count }, (_, i) => lo + i * step);
    const columns: Record<string, Float64Array> = {};
    for (const c of cols) columns[c.name] = interpolateOnto(c.h, c.v, grid);
    return { elapsedHours: grid, columns };
  }
  const all = new Set<number>();
  for (const c of cols) for (const h of c.h) all.add(h);
  const elapsedHours = Float64Array.from([...all].sort((x, y) => x - y));
  const pos = new Map<number, number>();
  elapsedHours.forEach((h, i) => pos.set(h, i));
  const columns: Record<string, Float64Array> = {};
  for (const c of cols) {
    const sum = new Float64Array(elapsedHours.length);
    const cnt = new Float64Array(elapsedHours.length);
    for (let i = 0; i < c.h.length; i++) {
      if (!Number.isFinite(c.v[i])) continue;
      const k = pos.get(c.h[i]) as number;
      sum[k] += c.v[i];
      cnt[k]++;
    }
    columns[c.name] = sum.map((s, i) => (cnt[i] ? s / cnt[i] : NaN));
  }
  return { elapsedHours, columns };
}

/** Linear interpolation at xs; NaN before the first and after the last finite sample. */
export function interpolateOnto(x: ArrayLike<number>, y: ArrayLike<number>, xs: ArrayLike<number>): Float64Array {
  const px: number[] = [];
  const py: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(y[i])) {
      px.push(x[i]);
      py.push(y[i]);
    }
  }
  const out = new Float64Array(xs.length).fill(NaN);
  if (px.length === 0) return out;
  let j = 0;
  for (let i = 0; i < xs.length; i++) {
    const q = xs[i];
    if (q < px[0]) continue;
    if (q >= px[px.length - 1]) {
      if (q === px[px.length - 1]) out[i] = py[py.length - 1];
      continue;
    }
    while (px[j + 1] < q) j++;
    const x0 = px[j];
    const x1 = px[j + 1];
    out[i] = x1 === x0 ? py[j] : py[j] + ((py[j + 1] - py[j]) * (q - x0)) / (x1 - x0);
  }
  return out;
}
