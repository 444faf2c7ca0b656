/** Known-answer vectors of reference/pioreactor-control.md §10 (each test names its item). */
import assert from 'node:assert/strict';
import { applyDosingEvent, type VialState } from '../../agent/math/bioreactor.js';
import { StirringFeedForward } from '../../agent/math/calibration.js';
import { Pid } from '../../agent/math/pid.js';
import { Ema, simpleLinearRegression, trimmedMean, trimmedMeanWithPrior } from '../../agent/math/stats.js';
import { inferTemperatureModel2 } from '../../agent/math/temperature-model.js';
import { autoIrIntensity, RefTracker } from '../../agent/jobs/od_reading.js';
import { plannedEvents } from '../../agent/jobs/pumps.js';
import { lightDarkDecision } from '../../agent/jobs/led_automation.js';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `expected ${b}, got ${a}`);

describe('control reference §10 known answers', () => {
  it('§10.1 simple_linear_regression: slope 61.272, intercept -39.062, SE^2 3.1539 and 8.63185', () => {
    const x = [1.47, 1.5, 1.52, 1.55, 1.57, 1.6, 1.63, 1.65, 1.68, 1.7, 1.73, 1.75, 1.78, 1.8, 1.83];
    const y = [52.21, 53.12, 54.48, 55.84, 57.2, 58.57, 59.93, 61.29, 63.11, 64.47, 66.28, 68.1, 69.92, 72.19, 74.46];
    const r = simpleLinearRegression(x, y);
    close(r.slope / 61.272, 1, 1e-3);
    close(r.intercept / -39.062, 1, 1e-3);
    close(r.slopeSe2 / 3.1539, 1, 1e-3);
    close(r.interceptSe2 / 8.63185, 1, 1e-3);
  });

  it('§10.2 trimmed_mean cut 1 and cut 2', () => {
    assert.equal(trimmedMean([2, 2, 2, 10]), 2);
    assert.equal(trimmedMean([-10, 0, 1, 10]), 0.5);
    assert.equal(trimmedMean([-1, -10, 0, 1]), -0.5);
    assert.equal(trimmedMean([-100, -50, 1, 2, 3, 50, 10], 2), 2);
    assert.equal(trimmedMean([100, -50, -1, 0, 1, -50, 10], 2), 0);
  });

  it('§10.4 EMA: alpha in [0,1], get before update throws, update(5) -> 5', () => {
    assert.throws(() => new Ema(1.5));
    const e = new Ema(0.5);
    assert.throws(() => e.latest);
    assert.equal(e.update(5), 5);
  });

  it('§10.6 trimmed mean with prior: [1,2,100,3,4], prior 10, lambda 3 -> 6.5', () => {
    assert.equal(trimmedMeanWithPrior([1, 2, 100, 3, 4], 10, 3), 6.5);
    assert.equal(trimmedMeanWithPrior([1, 2, 100, 3, 4], null, 10), 3);
  });

  it('§2.2 IR auto intensity: 62.5, 50, 85, 85', () => {
    assert.equal(autoIrIntensity(50, 0.2, 0.02), 62.5);
    assert.equal(autoIrIntensity(50, 0.2, 0.5), 50);
    assert.equal(autoIrIntensity(50, 0.05, 0.02), 85);
    assert.equal(autoIrIntensity(50, 0, 0), 85);
  });

  it('§2.4 REF tracker: unity 0.25 then 0.20 -> ref_ema ~0.8; noise gate threshold by interval', () => {
    const t = new RefTracker(0.75, 5);
    for (let i = 0; i < 1000; i++) t.update(0.25 / 0.25);
    for (let i = 0; i < 1000; i++) t.update(0.2 / 0.25);
    close(t.ema.latest, 0.8, 1e-6);
    close(t.transform(1), 1.25, 1e-6);
    const a = new RefTracker(0.75, 1.25);
    a.power = 0.015 ** 2 / 0.95;
    assert.equal(a.update(1), false);
    const b = new RefTracker(0.75, 20);
    b.power = 0.015 ** 2 / 0.95;
    assert.equal(b.update(1), true);
  });

  it('§4 stirring feed-forward: 53.025, 62.740125, then L(600) 63.760213125 and L(700) 73.210213125', () => {
    const ff = new StirringFeedForward(30, { curve_data_: [10, -5] });
    close(ff.start(500), 53.025, 1e-9);
    close(ff.retarget(600), 62.740125, 1e-9);
    close(ff.lookup(600), 63.760213125, 1e-9);
    close(ff.lookup(700), 73.210213125, 1e-9);
  });

  it('§5.3 thermostat PID example (prod gains, setpoint 30, first T 25) -> u = 13', () => {
    const pid = new Pid({ kp: 2.6, ki: 0, kd: 4.6, setpoint: 30, outputLimits: [-25, 25] });
    close(pid.update(25, 1), 13, 1e-12);
  });

  it('§10.11 temperature model 2.0 exact outputs', () => {
    const T = [42.28125, 41.1875, 40.322916666666664, 39.614583333333336, 39.010416666666664, 38.46875, 37.989583333333336, 37.583333333333336, 37.208333333333336, 36.84375, 36.59375, 36.291666666666664, 36.0625, 35.791666666666664, 35.583333333333336, 35.385416666666664, 35.197916666666664, 35.041666666666664, 34.885416666666664, 34.75, 34.625];
    close(inferTemperatureModel2(27.31, T), 34.24647182756309, 1e-9);
    assert.equal(inferTemperatureModel2(0, T), 34.625);
    for (let t = 25; t <= 34; t++) close(inferTemperatureModel2(0.001, Array(21).fill(t)), t, 0.3);
  });

  it('§6.1 pump event splits: 0.8 -> [0.5, 0.3], 1.0 -> [0.5, 0.5]', () => {
    const curve = { slope: 1, bias: 0, calibrated: true };
    assert.deepEqual(plannedEvents(0.8, curve), [0.5, 0.3]);
    assert.deepEqual(plannedEvents(1.0, curve), [0.5, 0.5]);
  });

  describe('§6.2 bioreactor volume and alt-media fraction', () => {
    const s0 = (V: number, E: number, f = 0): VialState => ({
      current_volume_ml: V, efflux_tube_volume_ml: E, alt_media_fraction: f,
      cumulative_media_added_ml: 0, cumulative_alt_media_added_ml: 0, cumulative_waste_removed_ml: 0,
    });
    it('volumes 6, 6, 12, 15, 14, 16, 15, 14 and fractions 0, 0, 0.5, 0.6', () => {
      const ev: Array<[string, number]> = [['add_media', 6], ['remove_waste', 2], ['add_alt_media', 6], ['add_alt_media', 3], ['remove_waste', 3], ['add_alt_media', 2], ['remove_waste', 1], ['remove_waste', 10]];
      let s = s0(0, 14);
      const vols: number[] = [];
      const fr: number[] = [];
      for (const [e, v] of ev) {
        s = applyDosingEvent(s, e, v);
        vols.push(s.current_volume_ml);
        fr.push(s.alt_media_fraction);
      }
      assert.deepEqual(vols, [6, 6, 12, 15, 14, 16, 15, 14]);
      assert.deepEqual(fr.slice(0, 4), [0, 0, 0.5, 0.6]);
    });
    it('negative add_media from 0: 6, 3, 0, 0; alt 1.0 into 14 -> 1/15; waste floors at the efflux tube', () => {
      let s = s0(0, 14);
      const vols = [6, -3, -3, -3].map((v) => (s = applyDosingEvent(s, 'add_media', v)).current_volume_ml);
      assert.deepEqual(vols, [6, 3, 0, 0]);
      assert.equal(applyDosingEvent(s0(14, 14), 'add_alt_media', 1).alt_media_fraction, 1 / 15);
      assert.equal(applyDosingEvent(s0(15, 14), 'remove_waste', 10).current_volume_ml, 14);
      assert.equal(applyDosingEvent(s0(3, 3), 'remove_waste', 10).current_volume_ml, 3);
    });
    it('§6.3 execute_io_action halves: final fraction 0.0006688099108144436, V = 14', () => {
      let s = s0(14, 14);
      for (let i = 0; i < 2; i++) {
        s = applyDosingEvent(s, 'add_media', 0.625);
        s = applyDosingEvent(s, 'add_alt_media', 0.005);
        s = applyDosingEvent(s, 'remove_waste', 0.63);
        s = applyDosingEvent(s, 'remove_waste', 1.26);
      }
      assert.equal(s.alt_media_fraction, 0.0006688099108144436);
      assert.equal(s.current_volume_ml, 14);
    });
  });

  it('§7 light_dark_cycle transitions (L = D = 60; L = 960, D = 480)', () => {
    assert.equal(lightDarkDecision(30, false, 60, 60), true);
    assert.equal(lightDarkDecision(30, true, 60, 60), null);
    assert.equal(lightDarkDecision(60, true, 60, 60), false);
    assert.equal(lightDarkDecision(90, false, 60, 60), null);
    assert.equal(lightDarkDecision(960, true, 960, 480), false);
  });
});
