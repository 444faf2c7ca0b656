/**
 * Entry point of the hardware layer: pick and build a backend. The pi backend (and its native
 * modules) is imported only when asked for, so the sim runs anywhere without i2c-bus or onoff.
 */
import type { Clock } from '../shared/clock.js';
import type { ColonyConfig } from '../shared/config/index.js';
import type { HardwareBackend } from './interfaces.js';
import { isRaspberryPi } from './pi/probe.js';
import { createSimBackend } from './sim/backend.js';

export * from './interfaces.js';
export { HardwareUnavailableError } from './errors.js';
export { createSimBackend, isSimBackend, type SimBackend } from './sim/backend.js';
export { SimVial, SIM_FAULTS, type SimFault, type SimState } from './sim/vial.js';
export type { PumpRates, SimParams } from './sim/params.js';

export interface CreateBackendOptions {
  backend: 'sim' | 'pi' | 'auto';
  config: ColonyConfig;
  clock: Clock;
  /** Sim only: biology speed-up (default `[colony] speed`). */
  speed?: number;
  /** Sim only: model seed (default `[colony] sim_seed`). */
  seed?: number;
  /** Sim only: unit name, folded into the seed so units differ. */
  unit?: string;
  /** Where to read the board model (tests). */
  modelPath?: string;
}

/** 'auto' means pi when /proc/device-tree/model says Raspberry Pi, else sim. */
export function resolveBackendKind(kind: 'sim' | 'pi' | 'auto', modelPath?: string): 'sim' | 'pi' {
  if (kind !== 'auto') return kind;
  return isRaspberryPi(modelPath) ? 'pi' : 'sim';
}

/**
 * Build the unit's hardware. The pi backend throws HardwareUnavailableError (one sentence per
 * missing piece) when the board, bus, chips or PWM are not there.
 */
export async function createBackend(opts: CreateBackendOptions): Promise<HardwareBackend> {
  const kind = resolveBackendKind(opts.backend, opts.modelPath);
  if (kind === 'pi') {
    const { createPiBackend } = await import('./pi/backend.js');
    return createPiBackend({ config: opts.config, clock: opts.clock, probe: opts.modelPath ? { modelPath: opts.modelPath } : undefined });
  }
  return createSimBackend({ config: opts.config, clock: opts.clock, seed: opts.seed, speed: opts.speed, unit: opts.unit });
}
