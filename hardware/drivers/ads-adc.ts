/**
 * The photodiode Adc of HAT <= 1.0: one ADS1115 at 0x48 with pd1 = AIN1, pd2 = AIN0,
 * version = AIN2, aux = AIN3 (reference/pioreactor-control.md §1).
 */
import type { Adc, AdcGain } from '../interfaces.js';
import { AUX_DIVIDER } from './pico.js';
import type { Ads1x15 } from './ads1x15.js';

export const ADS_HAT_CHANNELS = { pd1: 1, pd2: 0, version: 2, aux: 3 } as const;

export class Ads1115Adc implements Adc {
  readonly hasGain = true;

  constructor(private readonly chip: Ads1x15) {}

  get gain(): AdcGain {
    return this.chip.gain;
  }

  async setGain(gain: AdcGain): Promise<void> {
    this.chip.setGain(gain);
  }

  async readVolts(pdChannel: number): Promise<number> {
    const ch = pdChannel === 1 ? ADS_HAT_CHANNELS.pd1 : pdChannel === 2 ? ADS_HAT_CHANNELS.pd2 : -1;
    if (ch < 0) throw new RangeError(`photodiode channel ${pdChannel} is not wired on this HAT (only 1 and 2)`);
    return this.chip.readVolts(ch);
  }

  /** The aux read uses gain 1 (FSR 4.096 V covers 12 V * 0.134), then restores the OD gain. */
  async readAuxVolts(): Promise<number> {
    const g = this.chip.gain;
    this.chip.setGain(1);
    try {
      return (await this.chip.readVolts(ADS_HAT_CHANNELS.aux)) / AUX_DIVIDER;
    } finally {
      this.chip.setGain(g);
    }
  }
}
