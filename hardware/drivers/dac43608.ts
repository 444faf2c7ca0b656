/**
 * TI DAC43608 LED current driver on HAT <= 1.0 (0x49); LED A..D = DAC outputs 8..11 in
 * Pioreactor's numbering, i.e. the data registers 0x08..0x0B (DACA_DATA .. DACD_DATA).
 * Datasheet facts used: registers are 16-bit, written MSB first; the 8-bit code sits in bits
 * [11:4] of DACn_DATA; DEVICE_CONFIG (0x01) bits [7:0] power outputs A..H down when set (all are
 * down after reset). A channel at 0 % is powered down rather than driven at code 0, so the LED
 * draws no current at all (reference/pioreactor-control.md §1).
 */
import type { I2cBus, LedChannel, LedDriver } from '../interfaces.js';
import { LED_CHANNELS } from '../map.js';

export const DAC43608_ADDRESS = 0x49;
export const DAC43608_REG_DEVICE_CONFIG = 0x01;
/** Data register of LED A; B..D follow. */
export const DAC43608_REG_LED_A = 0x08;

export function dac43608DataBytes(intensity: number): [number, number] {
  const code = Math.round((Math.min(100, Math.max(0, intensity)) / 100) * 255);
  const word = code << 4;
  return [(word >> 8) & 0xff, word & 0xff];
}

export class Dac43608LedDriver implements LedDriver {
  private readonly state: Record<LedChannel, number> = { A: 0, B: 0, C: 0, D: 0 };
  /** Power-down bits for outputs A..H; 0xFF is the reset state. */
  private powerDown = 0xff;

  constructor(
    private readonly bus: I2cBus,
    private readonly address = DAC43608_ADDRESS,
  ) {}

  async set(channel: LedChannel, intensity: number): Promise<void> {
    const idx = LED_CHANNELS.indexOf(channel);
    const i = Math.min(100, Math.max(0, intensity));
    const bit = 1 << idx;
    if (i > 0) {
      await this.bus.writeBytes(this.address, DAC43608_REG_LED_A + idx, dac43608DataBytes(i));
      if (this.powerDown & bit) await this.writePowerDown(this.powerDown & ~bit);
    } else if (!(this.powerDown & bit)) {
      await this.writePowerDown(this.powerDown | bit);
    }
    this.state[channel] = i;
  }

  get(channel: LedChannel): number {
    return this.state[channel];
  }

  all(): Record<LedChannel, number> {
    return { ...this.state };
  }

  private async writePowerDown(bits: number): Promise<void> {
    await this.bus.writeBytes(this.address, DAC43608_REG_DEVICE_CONFIG, [0x00, bits & 0xff]);
    this.powerDown = bits & 0xff;
  }
}
