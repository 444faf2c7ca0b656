/**
 * One uncontrolled vial on a VirtualClock, as fast as it runs: fixed heater and stirring duty,
 * IR LED on. The model function behind `npm run sim`, and what the sim's acceptance test runs.
 */
import { VirtualClock } from '../../shared/clock.js';
import { heaterDutyFor } from './params.js';
import { SimVial } from './vial.js';

export interface UncontrolledRunOptions {
  hours: number;
  seed: number;
  /** Heater duty %; default: the duty that holds the liquid near 30 C. */
  heaterDc?: number;
  /** Stirring duty % (default 30). */
  stirDc?: number;
  /** IR LED intensity % (default 80). */
  irLed?: number;
  speed?: number;
  unit?: string;
  /** Minutes between rows (default 1). */
  everyMinutes?: number;
}

export interface SimRow {
  hours: number;
  biomass: number;
  od_volts: number;
  ref_volts: number;
  plate_c: number;
  liquid_c: number;
  rpm: number;
  volume_ml: number;
}

export const SIM_CSV_COLUMNS: readonly (keyof SimRow)[] = ['hours', 'biomass', 'od_volts', 'ref_volts', 'plate_c', 'liquid_c', 'rpm', 'volume_ml'];

export const DEFAULT_STIR_DC = 30;
export const DEFAULT_IR_LED = 80;
export const DEFAULT_TARGET_C = 30;

/** Rows from t = 0 to `hours`, one every `everyMinutes`; the pd channels follow the default config (1 = REF, 2 = 90). */
export function* simulateUncontrolled(o: UncontrolledRunOptions): Generator<SimRow> {
  const clock = new VirtualClock();
  const vial = new SimVial({ clock, seed: o.seed, unit: o.unit, speed: o.speed });
  const heaterDc = o.heaterDc ?? heaterDutyFor(vial.params.thermal, DEFAULT_TARGET_C);
  vial.setPwm('heating', heaterDc);
  vial.setPwm('stirring', o.stirDc ?? DEFAULT_STIR_DC);
  vial.setLed('A', o.irLed ?? DEFAULT_IR_LED);
  const stepMs = (o.everyMinutes ?? 1) * 60_000;
  const t0 = clock.now();
  const rows = Math.floor((o.hours * 3_600_000) / stepMs);
  for (let i = 0; i <= rows; i++) {
    // RPM as a hall counter would read it over the last second before the row.
    let rpm = 0;
    if (i > 0) {
      clock.advance(stepMs - 1000);
      const r0 = vial.revolutions();
      clock.advance(1000);
      rpm = vial.rpmFromRevolutions(r0, vial.revolutions(), 1);
    }
    const s = vial.state();
    yield {
      hours: (clock.now() - t0) / 3_600_000,
      biomass: s.biomass,
      od_volts: vial.readPhotodiode(2),
      ref_volts: vial.readPhotodiode(1),
      plate_c: vial.readPlateCelsius(),
      liquid_c: s.liquidC,
      rpm,
      volume_ml: s.volumeMl,
    };
  }
}
