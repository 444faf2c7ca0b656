/**
 * The sim's heater-off plate decay against a real Pioreactor 40 ml's (reference/pioreactor-control.md §10.11), so
 * temperature model 2.0 (a regression on such decays) infers the sim's liquid as it would a real vial's. With the
 * sim's old heavy, loosely coupled plate the window's drop was ~3 ℃ instead of ~7.7 ℃ and the inference read ~3 ℃
 * below the liquid.
 */
import assert from 'node:assert/strict';
import { inferTemperatureModel2 } from '../../agent/math/temperature-model.js';
import { SimVial } from '../../hardware/sim/vial.js';
import { VirtualClock } from '../../shared/clock.js';

/** §10.11: dc 27.31, 21 plate samples 5 s apart after the heater goes off; the model infers 34.25 ℃. */
const REF = [42.28125, 41.1875, 40.322916666666664, 39.614583333333336, 39.010416666666664, 38.46875, 37.989583333333336, 37.583333333333336, 37.208333333333336, 36.84375, 36.59375, 36.291666666666664, 36.0625, 35.791666666666664, 35.583333333333336, 35.385416666666664, 35.197916666666664, 35.041666666666664, 34.885416666666664, 34.75, 34.625];
const DC = 27.31;

/** Heater at DC for 100 s, then off for the 21-sample window, until the cycle repeats; the last window's samples. */
function cycledWindow(unit: string): { T: number[]; liquid: number } {
  const clock = new VirtualClock();
  const v = new SimVial({ clock, seed: 1, unit });
  let T: number[] = [];
  for (let c = 0; c < 30; c++) {
    v.setPwm('heating', DC);
    clock.advance(100_000);
    v.setPwm('heating', 0);
    T = [];
    for (let i = 0; i < 21; i++) {
      T.push(v.readPlateCelsius());
      if (i < 20) clock.advance(5000);
    }
  }
  return { T, liquid: v.state().liquidC };
}

describe('hardware: sim thermal model against a real heater-off decay', () => {
  for (const unit of ['u1', 'u2', 'u3']) {
    it(`${unit}: the window's decay has the reference's shape, and model 2.0 infers the liquid within 0.75 ℃`, () => {
      const { T, liquid } = cycledWindow(unit);
      const shape = T.map((x, i) => x - T[20] - (REF[i] - REF[20]));
      const worst = Math.max(...shape.map(Math.abs));
      assert.ok(worst <= 0.6, `decay ${T.map((x) => x.toFixed(2)).join(' ')} differs from the reference's shape by up to ${worst.toFixed(2)} ℃`);
      const inferred = inferTemperatureModel2(DC, T);
      assert.ok(Math.abs(inferred - liquid) <= 0.75, `inferred ${inferred.toFixed(2)} ℃, liquid ${liquid.toFixed(2)} ℃`);
      assert.ok(T[20] > liquid - 1 && T[20] < liquid + 1.5, `the plate ends the window at ${T[20].toFixed(2)} ℃, near the liquid (${liquid.toFixed(2)} ℃)`);
    });
  }
});
