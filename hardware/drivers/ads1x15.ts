/**
 * TI ADS1115 / ADS1114 16-bit ADC (photodiodes on HAT <= 1.0, and the eye-spy optics).
 * Register facts from the ADS111x datasheet: pointer 0x00 = conversion (signed 16-bit, big-endian),
 * 0x01 = config. Config bits: OS[15] (write 1 = start a single shot; reads 1 when idle),
 * MUX[14:12] (100..111 = AIN0..AIN3 against GND), PGA[11:9], MODE[8] (1 = single shot),
 * DR[7:5] (100 = 128 SPS), COMP_QUE[1:0] = 11 (comparator off).
 * Conversions per reference/pioreactor-control.md §1: V = raw/32767 * FSR(gain).
 */
import type { Clock } from '../../shared/clock.js';
import type { AdcGain, I2cBus } from '../interfaces.js';

export const ADS_REG_CONVERSION = 0x00;
export const ADS_REG_CONFIG = 0x01;

/** Full-scale range (volts) by gain. */
export const ADS_FSR: ReadonlyArray<readonly [AdcGain, number]> = [
  [2 / 3, 6.144],
  [1, 4.096],
  [2, 2.048],
  [4, 1.024],
  [8, 0.512],
  [16, 0.256],
];

const PGA_BITS = [0b000, 0b001, 0b010, 0b011, 0b100, 0b101];
const DR_128SPS = 0b100;
const COMP_DISABLED = 0b11;
/** One conversion at 128 SPS, rounded up, in ms. */
export const ADS_CONVERSION_MS = Math.ceil(1000 / 128);

function gainIndex(gain: AdcGain): number {
  const i = ADS_FSR.findIndex(([g]) => Math.abs(g - gain) < 1e-9);
  if (i < 0) throw new RangeError(`ADS1x15 gain ${gain} is not one of 2/3, 1, 2, 4, 8, 16`);
  return i;
}

export function adsFullScale(gain: AdcGain): number {
  return ADS_FSR[gainIndex(gain)][1];
}

/** The 16-bit config word for a single-ended read of `channel` (0-3). */
export function adsConfigWord(channel: number, gain: AdcGain, singleShot: boolean): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 3) throw new RangeError(`ADS1x15 channel ${channel} is not 0-3`);
  const os = singleShot ? 1 : 0;
  const mode = singleShot ? 1 : 0;
  return (
    (os << 15) | ((0b100 + channel) << 12) | (PGA_BITS[gainIndex(gain)] << 9) | (mode << 8) | (DR_128SPS << 5) | COMP_DISABLED
  );
}

/** V = raw/32767 * FSR. */
export function adsRawToVolts(raw: number, gain: AdcGain): number {
  return (raw / 32767) * adsFullScale(gain);
}

/**
 * Auto-gain (`check_on_gain`, tol 0.85): the first gain whose window holds the reading, from the
 * widest range down. Above every window the widest range (2/3) is the only safe choice.
 */
const GAIN_WINDOWS: ReadonlyArray<readonly [AdcGain, number, number]> = [
  [2 / 3, 4.096, 6.144],
  [1, 2.048, 4.096],
  [2, 1.024, 2.048],
  [4, 0.512, 1.024],
  [8, 0.256, 0.512],
  [16, -1, 0.256],
];
export const AUTO_GAIN_TOLERANCE = 0.85;

export function chooseGain(volts: number, tol = AUTO_GAIN_TOLERANCE): AdcGain {
  for (const [gain, lb, ub] of GAIN_WINDOWS) if (tol * lb <= volts && volts < tol * ub) return gain;
  return 2 / 3;
}

export interface Ads1x15Options {
  bus: I2cBus;
  address: number;
  clock: Clock;
  /** ADS1114: continuous conversion on its one input; ADS1115: single shots on AIN0-3. */
  variant: 'ADS1115' | 'ADS1114';
  gain?: AdcGain;
}

/** One ADS1115/ADS1114 chip. */
export class Ads1x15 {
  private gainValue: AdcGain;
  /** Config word last written in continuous mode, so repeated reads skip the reconfiguration. */
  private continuousConfig: number | null = null;

  constructor(private readonly o: Ads1x15Options) {
    this.gainValue = o.gain ?? 1;
    gainIndex(this.gainValue);
  }

  get gain(): AdcGain {
    return this.gainValue;
  }

  setGain(gain: AdcGain): void {
    gainIndex(gain);
    this.gainValue = gain;
  }

  /** Signed raw count of `channel`. */
  async readRaw(channel: number): Promise<number> {
    const { bus, address, clock, variant } = this.o;
    if (variant === 'ADS1114') {
      // Continuous mode: reconfigure only when the gain changed, then wait one conversion period
      // so the first result belongs to the new setting (as Pioreactor's driver does).
      const word = adsConfigWord(0, this.gainValue, false);
      if (word !== this.continuousConfig) {
        await bus.writeBytes(address, ADS_REG_CONFIG, [word >> 8, word & 0xff]);
        this.continuousConfig = word;
      }
      await clock.sleep(ADS_CONVERSION_MS);
    } else {
      const word = adsConfigWord(channel, this.gainValue, true);
      await bus.writeBytes(address, ADS_REG_CONFIG, [word >> 8, word & 0xff]);
      await this.waitReady();
    }
    const b = await bus.readBytes(address, ADS_REG_CONVERSION, 2);
    const u = (b[0] << 8) | b[1];
    return u & 0x8000 ? u - 0x10000 : u;
  }

  async readVolts(channel: number): Promise<number> {
    return adsRawToVolts(await this.readRaw(channel), this.gainValue);
  }

  /** Poll OS (bit 15 of config reads 1 when the single shot is done); bounded, then read anyway. */
  private async waitReady(): Promise<void> {
    const { bus, address, clock } = this.o;
    for (let i = 0; i < 4; i++) {
      const c = await bus.readBytes(address, ADS_REG_CONFIG, 2);
      if (c[0] & 0x80) return;
      await clock.sleep(ADS_CONVERSION_MS);
    }
  }
}
