/**
 * The HAT >= 1.1 RP2040 ("Pico") firmware at 0x2C: a 12-bit ADC (version=ch0, aux=ch1, pd1=ch2,
 * pd2=ch3) and an 8-bit LED current DAC (LED A..D = 0..3). Facts from
 * reference/pioreactor-control.md §1: register pointer = channel + 4; V = raw/4095/s*3.3 with
 * s = 32 for firmware >= 0.4 (it sums 32 oversamples) else 16; firmware version at 0x08;
 * DAC write = the raw bytes [channel, round(I/100*255)].
 * Assumptions we could not check against a board: the 2-byte results are little-endian (the
 * RP2040 is little-endian), and the version register returns [minor, major].
 */
import type { Adc, AdcGain, I2cBus, LedChannel, LedDriver } from '../interfaces.js';
import { LED_CHANNELS } from '../map.js';

export const PICO_ADDRESS = 0x2c;
export const PICO_REG_VERSION = 0x08;
export const PICO_VREF = 3.3;
/** Aux ADC volts = PWM rail volts * 0.134 (the divider on the HAT). */
export const AUX_DIVIDER = 0.134;

export const PICO_CHANNELS = { version: 0, aux: 1, pd1: 2, pd2: 3 } as const;

export function picoScale(firmware: readonly [number, number]): number {
  const [major, minor] = firmware;
  return major > 0 || minor >= 4 ? 32 : 16;
}

export function picoRawToVolts(raw: number, scale: number): number {
  return (raw / 4095 / scale) * PICO_VREF;
}

export function picoDacBytes(channel: LedChannel, intensity: number): [number, number] {
  const i = Math.min(100, Math.max(0, intensity));
  return [LED_CHANNELS.indexOf(channel), Math.round((i / 100) * 255)];
}

export async function readPicoFirmware(bus: I2cBus, address = PICO_ADDRESS): Promise<[number, number]> {
  const b = await bus.readBytes(address, PICO_REG_VERSION, 2);
  return [b[1], b[0]];
}

/** Photodiode ADC on the Pico. It has no programmable gain. */
export class PicoAdc implements Adc {
  readonly hasGain = false;
  readonly gain: AdcGain = 1;

  constructor(
    private readonly bus: I2cBus,
    private readonly scale: number,
    private readonly address = PICO_ADDRESS,
  ) {}

  /** Build after asking the firmware which scale it uses. */
  static async open(bus: I2cBus, address = PICO_ADDRESS): Promise<PicoAdc> {
    return new PicoAdc(bus, picoScale(await readPicoFirmware(bus, address)), address);
  }

  async readRaw(adcChannel: number): Promise<number> {
    if (!Number.isInteger(adcChannel) || adcChannel < 0 || adcChannel > 3) throw new RangeError(`Pico ADC channel ${adcChannel} is not 0-3`);
    const b = await this.bus.readBytes(this.address, adcChannel + 4, 2);
    return b[0] | (b[1] << 8);
  }

  async readVolts(pdChannel: number): Promise<number> {
    const ch = pdChannel === 1 ? PICO_CHANNELS.pd1 : pdChannel === 2 ? PICO_CHANNELS.pd2 : -1;
    if (ch < 0) throw new RangeError(`photodiode channel ${pdChannel} is not wired on the Pico HAT (only 1 and 2)`);
    return picoRawToVolts(await this.readRaw(ch), this.scale);
  }

  async setGain(_gain: AdcGain): Promise<void> {
    // No PGA on the Pico ADC; accepting the call lets the OD job run the same code on every HAT.
  }

  async readAuxVolts(): Promise<number> {
    return picoRawToVolts(await this.readRaw(PICO_CHANNELS.aux), this.scale) / AUX_DIVIDER;
  }
}

/** LED current through the Pico's DAC. */
export class PicoLedDriver implements LedDriver {
  private readonly state: Record<LedChannel, number> = { A: 0, B: 0, C: 0, D: 0 };

  constructor(
    private readonly bus: I2cBus,
    private readonly address = PICO_ADDRESS,
  ) {}

  async set(channel: LedChannel, intensity: number): Promise<void> {
    await this.bus.write(this.address, picoDacBytes(channel, intensity));
    this.state[channel] = Math.min(100, Math.max(0, intensity));
  }

  get(channel: LedChannel): number {
    return this.state[channel];
  }

  all(): Record<LedChannel, number> {
    return { ...this.state };
  }
}
