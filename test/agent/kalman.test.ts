import assert from 'node:assert/strict';
import { CultureGrowthKalman, setupFromWarmup, scaleObservation } from '../../agent/math/kalman.js';

const close = (a: number, b: number, tol: number, what = '') =>
  assert.ok(Math.abs(a - b) <= tol, `${what} expected ${b}, got ${a} (tol ${tol})`);

describe('growth-rate Kalman filter (reference/pioreactor-control.md §10, vector C)', () => {
  const dt = 1 / 720;
  const warmup = Array.from({ length: 35 }, (_, k) => ({ '2': 0.2 * (1 + 0.01 * Math.sin(1.7 * k)) }));

  it('vector C: warm-up gives factor 0.2, R, x0, P0 and Q', () => {
    const s = setupFromWarmup(warmup, dt);
    close(s.factors['2'], 0.2, 1e-12, 'factor');
    close(s.R[0], 1.0772084e-4, 1e-10, 'R');
    close(s.x0[0], 0.0064751197, 1e-9, 'x0');
    close(s.P0[0][0], 0.0025, 1e-12, 'P0[0]');
    close(s.P0[1][1], 0.0009, 1e-12, 'P0[1]');
    close(s.Q[2][2], 5e-6, 1e-15, 'Q');
  });

  function run(flags: boolean[] | null) {
    const s = setupFromWarmup(warmup, dt);
    const kf = new CultureGrowthKalman(s, 3);
    const out: Record<number, [number, number]> = {};
    for (let k = 35; k <= 754; k++) {
      const od = 0.2 * Math.exp((0.4 * (k - 34)) / 720) * (1 + 0.01 * Math.sin(1.7 * k));
      kf.update(scaleObservation({ '2': od }, s.factors, s.channels), dt, false);
      out[k - 34] = [kf.odFiltered, kf.growthRate];
    }
    const after: Array<[number, number]> = [];
    if (flags) {
      for (let j = 1; j <= 3; j++) {
        const od = 0.9 * 0.2 * Math.exp(0.4) * Math.exp((0.4 * j) / 720) * (1 + 0.01 * Math.sin(1.7 * (754 + j)));
        kf.update(scaleObservation({ '2': od }, s.factors, s.channels), dt, flags[j - 1]);
        after.push([kf.odFiltered, kf.growthRate]);
      }
    }
    return { out, after };
  }

  it('vector C: exponential growth at 0.4 h^-1 gives the table of od_filtered and growth rate', () => {
    const { out } = run(null);
    const table: Array<[number, number, number]> = [
      [1, 1.0029051922, -1.79e-6],
      [60, 1.0187766967, 0.0365554331],
      [240, 1.1331186209, 0.348671142],
      [480, 1.3047658428, 0.4042391495],
      [720, 1.492880763, 0.405933356],
    ];
    for (const [j, od, gr] of table) {
      close(out[j][0], od, 1e-8, `od_filtered step ${j}`);
      close(out[j][1], gr, j === 1 ? 1e-8 : 1e-8, `growth rate step ${j}`);
    }
  });

  it('vector C: a dilution with the flag on protects the growth rate', () => {
    const { after } = run([true, true, false]);
    close(after[0][0], 1.35765, 1e-5);
    close(after[1][0], 1.34045, 1e-5);
    close(after[2][0], 1.33693, 1e-5);
    for (const [, gr] of after) close(gr, 0.40593, 1e-4);
  });

  it('vector C: the same drop without flags is treated as outliers', () => {
    const { after } = run([false, false, false]);
    close(after[0][0], 1.49323, 1e-5);
    close(after[1][0], 1.49363, 1e-5);
    close(after[2][0], 1.49405, 1e-5);
    close(after[0][1], 0.405, 1e-4);
    close(after[2][1], 0.40338, 1e-4);
  });

  it('scaled observations follow reverse-sorted channel order', () => {
    assert.deepEqual(scaleObservation({ '1': 0.5, '2': 0.8 }, { '1': 0.5, '2': 0.8 }, ['2', '1']), [1, 1]);
    assert.deepEqual(scaleObservation({ '1': 0.5, '2': 2.0 }, { '1': 2, '2': 1 }, ['2', '1']), [2, 0.25]);
    assert.throws(() => scaleObservation({ '2': 1 }, { '2': 0 }, ['2']), /Non-positive OD normalization factor/);
  });
});
