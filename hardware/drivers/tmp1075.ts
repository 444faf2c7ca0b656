/**
 * TI TMP1075 on the heating PCB (0x4F). Register 0x00 holds the temperature as a 12-bit two's
 * complement value left-aligned in two bytes: T = ((b0<<4) + (b1>>4)) * 0.0625 C
 * (reference/pioreactor-control.md §1). Pioreactor's formula ignores the sign; we honour it so a
 * sub-zero reading (a cold room, a broken sensor) is not reported as +250 C.
 */
import type { I2cBus, TemperatureSensor } from '../interfaces.js';

export const TMP1075_ADDRESS = 0x4f;
export const TMP1075_REG_TEMP = 0x00;

export function tmp1075BytesToCelsius(b0: number, b1: number): number {
  let counts = ((b0 & 0xff) << 4) + ((b1 & 0xff) >> 4);
  if (counts & 0x800) counts -= 0x1000;
  return counts * 0.0625;
}

export class Tmp1075 implements TemperatureSensor {
  constructor(
    private readonly bus: I2cBus,
    private readonly address = TMP1075_ADDRESS,
  ) {}

  async readCelsius(): Promise<number> {
    const b = await this.bus.readBytes(this.address, TMP1075_REG_TEMP, 2);
    return tmp1075BytesToCelsius(b[0], b[1]);
  }
}
