/**
 * A simulated unit's physical constants, drawn once from its seed (and unit name), so every unit
 * of a demo cluster grows, heats and stirs a little differently, and the same seed always gives
 * the same vial. Ranges are chosen to look like a Pioreactor 40 ml with E. coli-like growth.
 */
import { hashString, mulberry32, uniform } from './random.js';

export interface GrowthParams {
  /** Maximum specific growth rate, 1/h. */
  muMax: number;
  /** Lag time, h (Baranyi: q0 = 1/(exp(muMax*lag) - 1)). */
  lagHours: number;
  /** Biomass (OD units) the fresh medium supports: yield times substrate. */
  capacityOd: number;
  initialOd: number;
  /** Death rate once the substrate is gone, 1/h. */
  deathRate: number;
  /** Monod half-saturation, as a fraction of fresh-medium substrate. */
  halfSaturation: number;
}

export interface OpticsParams {
  /** 90-degree photodiode volts per OD unit at low OD and 100 % IR. */
  sensitivity90: number;
  /** Blank-vial scatter (volts at 100 % IR with no cells). */
  blank90: number;
  /** OD where the 90-degree signal is half its linear extrapolation (multiple scattering). */
  saturationOd: number;
  /** REF photodiode volts at 100 % IR. */
  refGain: number;
  /** Electronic dark offset of every photodiode, volts. */
  dark: number;
  /** Relative noise of a signal sample, and absolute noise, volts. */
  relNoise: number;
  absNoise: number;
}

export interface ThermalParams {
  ambientC: number;
  heaterWatts: number;
  plateJPerK: number;
  /** Conductances, W/K: plate-liquid, plate-air, liquid-air. */
  plateToLiquid: number;
  plateToAir: number;
  liquidToAir: number;
  /** J/K of the glass vial, added to the water's 4.18 J/(ml K). */
  vialJPerK: number;
}

export interface MotorParams {
  /** RPM per % duty above the stall duty. */
  rpmPerPercent: number;
  /** Below this duty a spinning stir bar stops. */
  stallDuty: number;
  /** A stopped bar needs this duty to start (static friction; why stirring "kicks"). */
  startDuty: number;
  /** Time constant of the bar's speed, s. */
  tauSeconds: number;
  maxRpm: number;
}

export interface PumpRates {
  media: number;
  alt_media: number;
  waste: number;
}

export interface SimParams {
  seed: number;
  growth: GrowthParams;
  optics: OpticsParams;
  thermal: ThermalParams;
  motor: MotorParams;
  /** ml/s at 100 % duty. */
  pumps: PumpRates;
}

/** The seed actually used for a unit: the configured seed folded with the unit name. */
export function unitSeed(seed: number, unit?: string): number {
  return unit ? (seed ^ hashString(unit)) >>> 0 : seed >>> 0;
}

export function drawParams(seed: number, unit?: string): SimParams {
  const s = unitSeed(seed, unit);
  const r = mulberry32(s);
  const u = (lo: number, hi: number) => uniform(r, lo, hi);
  return {
    seed: s,
    growth: {
      muMax: u(0.55, 0.8),
      lagHours: u(4, 6),
      capacityOd: u(2.2, 3.0),
      initialOd: u(0.04, 0.06),
      deathRate: u(0.015, 0.035),
      halfSaturation: 0.02,
    },
    optics: {
      sensitivity90: u(0.36, 0.44),
      blank90: u(0.008, 0.012),
      saturationOd: u(2.5, 3.5),
      refGain: u(0.28, 0.32),
      dark: u(0.001, 0.002),
      relNoise: 0.004,
      absNoise: 0.0003,
    },
    // Fitted to a real Pioreactor 40 ml heater-off decay (reference/pioreactor-control.md §10.11:
    // dc 27.31, plate 42.28 -> 34.63 C in 100 s, liquid 34.1-34.25 C): a light plate (~19 J/K)
    // tightly coupled to the liquid (~0.58 W/K), so the plate's fast decay has a ~30 s time
    // constant and ends near the liquid, then follows the liquid's slow (~8 min) decay. Temperature
    // model 2.0 is a regression on exactly such curves; with the earlier heavy, loosely coupled
    // plate (6 W, 25 J/K, 0.15 W/K: a ~130 s plate that ends the window still far above the liquid)
    // it inferred 2-3 C below ambient while heating and ~3 C below the liquid at steady state.
    // The heater's strength sets the duty the model sees: ~18 W puts 30 C at ~20 % duty and 34 C
    // near 27 %, as in the reference's vectors. Draw order and count are unchanged.
    thermal: {
      ambientC: u(21.5, 22.5),
      heaterWatts: u(17, 19),
      plateJPerK: u(18, 20),
      plateToLiquid: u(0.55, 0.61),
      plateToAir: u(0.028, 0.034),
      liquidToAir: u(0.17, 0.19),
      vialJPerK: 15,
    },
    motor: {
      rpmPerPercent: u(20, 24),
      stallDuty: u(7, 9),
      startDuty: 15,
      tauSeconds: 0.4,
      maxRpm: 2500,
    },
    pumps: { media: u(0.45, 0.6), alt_media: u(0.45, 0.6), waste: u(0.45, 0.6) },
  };
}

/** Heater duty (%) that holds the liquid at `liquidC` in steady state (no stirring heat). */
export function heaterDutyFor(t: ThermalParams, liquidC: number): number {
  const dT = liquidC - t.ambientC;
  const watts = t.liquidToAir * dT + t.plateToAir * dT * (1 + t.liquidToAir / t.plateToLiquid);
  return Math.min(100, Math.max(0, (watts / t.heaterWatts) * 100));
}
