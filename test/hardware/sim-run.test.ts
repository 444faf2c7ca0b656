import assert from 'node:assert/strict';
import { parseSimArgs } from '../../hardware/sim/cli-args.js';
import { simulateUncontrolled, type SimRow } from '../../hardware/sim/run.js';

/** Least-squares slope of ln(od_volts) per hour over rows [i, j). */
function lnSlope(rows: SimRow[], i: number, j: number): number {
  const xs = rows.slice(i, j).map((r) => r.hours);
  const ys = rows.slice(i, j).map((r) => Math.log(r.od_volts));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < xs.length; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
  }
  return sxy / sxx;
}

const tail = (rows: SimRow[], n: number) => rows.slice(-n);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('hardware: sim uncontrolled run (npm run sim)', () => {
  const rows = [...simulateUncontrolled({ hours: 48, seed: 1 })];
  const W = 240; // 4 h of one-minute rows

  it('one row per simulated minute', () => {
    assert.equal(rows.length, 48 * 60 + 1);
    assert.equal(rows[60].hours, 1);
  });

  it('--hours 48 --seed 1: the steepest 4 h ln(OD) slope is mid-run and >= 3x the first and last 4 h', () => {
    let best = -Infinity;
    let bestStart = 0;
    for (let i = 0; i + W <= rows.length; i += 10) {
      const s = lnSlope(rows, i, i + W);
      if (s > best) [best, bestStart] = [s, i];
    }
    const first = lnSlope(rows, 0, W);
    const last = lnSlope(rows, rows.length - W, rows.length);
    const startH = rows[bestStart].hours;
    assert.ok(startH > 2 && startH + 4 < 40, `steepest window starts at ${startH} h`);
    assert.ok(best >= 3 * Math.abs(first), `steepest ${best}/h vs first ${first}/h`);
    assert.ok(best >= 3 * Math.abs(last), `steepest ${best}/h vs last ${last}/h`);
  });

  it('liquid temperature settles for a fixed heater duty, higher for a higher duty', () => {
    const settled = (dc: number) => {
      const r = [...simulateUncontrolled({ hours: 6, seed: 1, heaterDc: dc })];
      const a = mean(r.slice(-120, -60).map((x) => x.liquid_c));
      const b = mean(tail(r, 60).map((x) => x.liquid_c));
      assert.ok(Math.abs(a - b) < 0.05, `settled at ${dc} %: ${a} vs ${b}`);
      return b;
    };
    const t10 = settled(10);
    const t30 = settled(30);
    assert.ok(t30 > t10 + 3, `${t30} vs ${t10}`);
    // The default duty holds ~30 C, with the plate hotter than the liquid.
    const last = rows[rows.length - 1];
    assert.ok(Math.abs(last.liquid_c - 30) < 0.5);
    assert.ok(last.plate_c > last.liquid_c + 1);
  });

  it('rpm follows the stirring duty', () => {
    const rpm = (dc: number) => mean(tail([...simulateUncontrolled({ hours: 0.5, seed: 1, stirDc: dc })], 10).map((r) => r.rpm));
    const r20 = rpm(20);
    const r40 = rpm(40);
    const r60 = rpm(60);
    assert.ok(r20 > 0 && r40 > r20 + 200 && r60 > r40 + 200, `${r20} ${r40} ${r60}`);
    assert.equal(rpm(0), 0);
  });

  it('the CLI parser rejects bad arguments with one clear line', () => {
    assert.deepEqual(parseSimArgs(['--hours', '2', '--seed', '3', '--stir-dc', '40']).stirDc, 40);
    assert.throws(() => parseSimArgs(['--hours', 'abc']), /--hours must be a number/);
    assert.throws(() => parseSimArgs(['--heater-dc', '150']), /--heater-dc must be a number from 0 to 100/);
    assert.throws(() => parseSimArgs(['--bogus']), /Unknown option '--bogus'/);
  });
});
