/**
 * The HardwareBackend interfaces over a SimVial. The ADC mimics the HAT's converter: the Pico
 * (HAT >= 1.1) has no gain and clips at 3.3 V in 12-bit steps; the ADS1115 (HAT <= 1.0) clips at
 * the full-scale range of its gain in 16-bit steps.
 */
import type { Clock } from '../../shared/clock.js';
import { adsFullScale } from '../drivers/ads1x15.js';
import type { Adc, AdcGain, Edge, Gpio, I2cBus, LedChannel, LedDriver, Pwm, PwmFunction, RpmCounter, TemperatureSensor } from '../interfaces.js';
import type { SimVial } from './vial.js';

export class SimPwm implements Pwm {
  private hz = 200;
  private dc = 0;

  constructor(
    readonly pin: number,
    readonly fn: PwmFunction,
    private readonly vial: SimVial,
  ) {}

  get dutyCycle(): number {
    return this.dc;
  }

  get frequency(): number {
    return this.hz;
  }

  async setFrequency(hz: number): Promise<void> {
    if (!(hz > 0)) throw new RangeError(`PWM frequency ${hz} Hz must be above 0`);
    this.hz = hz;
  }

  async setDutyCycle(dc: number): Promise<void> {
    this.dc = Math.min(100, Math.max(0, dc));
    this.vial.setPwm(this.fn, this.dc);
  }

  async off(): Promise<void> {
    await this.setDutyCycle(0);
  }

  async close(): Promise<void> {
    await this.off();
  }
}

export class SimAdc implements Adc {
  private g: AdcGain = 1;

  constructor(
    private readonly vial: SimVial,
    readonly hasGain: boolean,
  ) {}

  get gain(): AdcGain {
    return this.g;
  }

  async setGain(gain: AdcGain): Promise<void> {
    if (this.hasGain) {
      adsFullScale(gain);
      this.g = gain;
    }
  }

  async readVolts(pdChannel: number): Promise<number> {
    if (!Number.isInteger(pdChannel) || pdChannel < 1 || pdChannel > 4) throw new RangeError(`photodiode channel ${pdChannel} is not 1-4`);
    const v = this.vial.readPhotodiode(pdChannel);
    if (this.hasGain) {
      const fsr = adsFullScale(this.g);
      return (Math.round((Math.min(v, fsr) / fsr) * 32767) / 32767) * fsr;
    }
    return (Math.round((Math.min(v, 3.3) / 3.3) * 4095) / 4095) * 3.3;
  }

  async readAuxVolts(): Promise<number> {
    return this.vial.readAuxVolts();
  }
}

export class SimTemperature implements TemperatureSensor {
  constructor(private readonly vial: SimVial) {}

  async readCelsius(): Promise<number> {
    return this.vial.readPlateCelsius();
  }
}

export class SimLeds implements LedDriver {
  constructor(private readonly vial: SimVial) {}

  async set(channel: LedChannel, intensity: number): Promise<void> {
    this.vial.setLed(channel, intensity);
  }

  get(channel: LedChannel): number {
    return this.vial.led(channel);
  }

  all(): Record<LedChannel, number> {
    return { A: this.vial.led('A'), B: this.vial.led('B'), C: this.vial.led('C'), D: this.vial.led('D') };
  }
}

/** Counts the simulated bar's revolutions over the window (one hall pulse per revolution). */
export class SimRpmCounter implements RpmCounter {
  constructor(
    private readonly vial: SimVial,
    private readonly clock: Clock,
  ) {}

  async measure(windowSeconds: number): Promise<number> {
    const r0 = this.vial.revolutions();
    await this.clock.sleep(windowSeconds * 1000);
    return this.vial.rpmFromRevolutions(r0, this.vial.revolutions(), windowSeconds);
  }
}

/** In-memory GPIO: writes are remembered and read back; edges fire only when `pulse` is called. */
export class SimGpio implements Gpio {
  private readonly values = new Map<number, 0 | 1>();
  private readonly watchers = new Map<number, Set<{ edge: Edge; cb: (tickMs: number) => void }>>();

  constructor(private readonly clock: Clock) {}

  async read(pin: number): Promise<0 | 1> {
    return this.values.get(pin) ?? 0;
  }

  async write(pin: number, value: 0 | 1): Promise<void> {
    const before = this.values.get(pin) ?? 0;
    this.values.set(pin, value);
    if (before !== value) this.emit(pin, value === 1 ? 'rising' : 'falling');
  }

  watch(pin: number, edge: Edge, cb: (tickMs: number) => void): () => void {
    const set = this.watchers.get(pin) ?? new Set();
    this.watchers.set(pin, set);
    const w = { edge, cb };
    set.add(w);
    return () => set.delete(w);
  }

  private emit(pin: number, edge: 'rising' | 'falling'): void {
    for (const w of this.watchers.get(pin) ?? []) if (w.edge === 'both' || w.edge === edge) w.cb(this.clock.now());
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }
}

/** In-memory I2C: a register file per address; `write` without a register is logged. */
export class SimI2cBus implements I2cBus {
  private readonly regs = new Map<number, Map<number, number>>();
  readonly rawWrites: { addr: number; bytes: number[] }[] = [];

  constructor(private readonly addresses: number[] = []) {}

  private reg(addr: number): Map<number, number> {
    const m = this.regs.get(addr) ?? new Map<number, number>();
    this.regs.set(addr, m);
    return m;
  }

  async readByte(addr: number, register: number): Promise<number> {
    return this.reg(addr).get(register) ?? 0;
  }
  async readWord(addr: number, register: number): Promise<number> {
    const m = this.reg(addr);
    return (m.get(register) ?? 0) | ((m.get(register + 1) ?? 0) << 8);
  }
  async readBytes(addr: number, register: number, length: number): Promise<Buffer> {
    const m = this.reg(addr);
    return Buffer.from(Array.from({ length }, (_, i) => m.get(register + i) ?? 0));
  }
  async writeByte(addr: number, register: number, value: number): Promise<void> {
    this.reg(addr).set(register, value & 0xff);
  }
  async writeWord(addr: number, register: number, value: number): Promise<void> {
    this.reg(addr).set(register, value & 0xff).set(register + 1, (value >> 8) & 0xff);
  }
  async writeBytes(addr: number, register: number, bytes: Buffer | number[]): Promise<void> {
    [...bytes].forEach((b, i) => this.reg(addr).set(register + i, b & 0xff));
  }
  async write(addr: number, bytes: Buffer | number[]): Promise<void> {
    this.rawWrites.push({ addr, bytes: [...bytes] });
  }
  async scan(): Promise<number[]> {
    return [...this.addresses];
  }
  async close(): Promise<void> {}
}
