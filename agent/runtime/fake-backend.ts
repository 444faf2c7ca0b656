/**
 * A small stand-in HardwareBackend: a vial whose OD grows exponentially, a REF photodiode, a heater with a
 * first-order thermal model, a motor whose RPM follows the duty cycle. Used by unit tests and by the CLI until
 * `hardware/index.ts` (the real sim and pi backends) is available. Faults can be injected by part name.
 */
import type {
  Adc, Gpio, HardwareBackend, HardwareInfo, LedChannel, LedDriver, Pwm, PwmFunction, RpmCounter, TemperatureSensor,
} from '../../hardware/interfaces.js';
import type { Clock } from '../../shared/clock.js';

const PIN_OF_CHANNEL: Record<string, number> = { '1': 17, '2': 13, '3': 16, '4': 12, '5': 18 };

class FakePwm implements Pwm {
  dutyCycle = 0;
  hz = 0;
  constructor(readonly pin: number) {}
  async setFrequency(hz: number) {
    this.hz = hz;
  }
  async setDutyCycle(dc: number) {
    this.dutyCycle = Math.min(100, Math.max(0, dc));
  }
  async off() {
    this.dutyCycle = 0;
  }
  async close() {
    this.dutyCycle = 0;
  }
}

export interface FakeVial {
  od0: number;
  /** h^-1, already multiplied by speed. */
  growthRate: number;
  roomC: number;
  plateC: number;
  rpmPerDc: number;
  pumpMlPerS: { media: number; alt_media: number; waste: number };
  faults: Set<string>;
}

export class FakeBackend implements HardwareBackend {
  readonly info: HardwareInfo = { backend: 'sim', model: 'pioreactor_40ml', modelVersion: '1.5', hatVersion: '1.2', description: 'fake vial (agent fallback)' };
  readonly pwms = new Map<number, FakePwm>();
  readonly fnToPin = new Map<PwmFunction, number>();
  readonly ledState: Record<LedChannel, number> = { A: 0, B: 0, C: 0, D: 0 };
  readonly vial: FakeVial;
  private readonly t0: number;
  private lastThermal: number;
  /** Per-pin GPIO state (PCB LED blink). */
  readonly gpioWrites: Array<[number, number]> = [];
  closed = false;

  constructor(
    private readonly clock: Clock,
    pwmMap: Record<string, string> = { '1': 'stirring', '2': 'media', '3': 'alt_media', '4': 'waste', '5': 'heating' },
    speed = 1,
  ) {
    for (const [ch, fn] of Object.entries(pwmMap)) {
      const pin = PIN_OF_CHANNEL[ch];
      this.pwms.set(pin, new FakePwm(pin));
      if (fn) this.fnToPin.set(fn as PwmFunction, pin);
    }
    this.t0 = clock.now();
    this.lastThermal = clock.now();
    this.vial = { od0: 0.05, growthRate: 0.3 * speed, roomC: 22, plateC: 22, rpmPerDc: 17, pumpMlPerS: { media: 0.5, alt_media: 0.5, waste: 0.6 }, faults: new Set() };
  }

  get sim(): { pumpRates: Record<string, number> } {
    return { pumpRates: this.vial.pumpMlPerS };
  }

  injectFault(part: string): void {
    this.vial.faults.add(part);
  }
  clearFault(part: string): void {
    this.vial.faults.delete(part);
  }

  private thermal(): number {
    const now = this.clock.now();
    const dt = (now - this.lastThermal) / 1000;
    this.lastThermal = now;
    const heater = this.pwmFor('heating')?.dutyCycle ?? 0;
    const target = this.vial.roomC + heater * 0.5;
    this.vial.plateC += (target - this.vial.plateC) * (1 - Math.exp(-dt / 60));
    return this.vial.plateC;
  }

  private noise(scale: number): number {
    return (Math.random() - 0.5) * 2 * scale;
  }

  readonly gpio: Gpio = {
    read: async () => 0,
    write: async (pin, v) => {
      this.gpioWrites.push([pin, v]);
    },
    watch: () => () => undefined,
    close: async () => undefined,
  };

  readonly adc: Adc = {
    readVolts: async (ch) => {
      if (this.vial.faults.has('adc')) return 0;
      const ir = this.ledState.A / 100;
      if (ch === 1) return this.vial.faults.has('ref') ? 0 : 0.25 * ir + 0.002 + this.noise(0.0005);
      const hours = (this.clock.now() - this.t0) / 3_600_000;
      const od = this.vial.od0 * Math.exp(this.vial.growthRate * hours);
      return Math.max(0, 0.02 + 0.5 * od * ir + this.noise(0.0005));
    },
    setGain: async () => undefined,
    gain: 1,
    hasGain: false,
    readAuxVolts: async () => 5.0,
  };

  readonly temperature: TemperatureSensor = {
    readCelsius: async () => {
      if (this.vial.faults.has('temperature')) throw new Error('TMP1075 did not answer');
      return Math.round(this.thermal() / 0.0625) * 0.0625;
    },
  };

  readonly leds: LedDriver = {
    set: async (ch, v) => {
      this.ledState[ch] = Math.min(100, Math.max(0, v));
    },
    get: (ch) => this.ledState[ch],
    all: () => ({ ...this.ledState }),
  };

  readonly rpm: RpmCounter = {
    measure: async (windowSeconds) => {
      await this.clock.sleep(windowSeconds * 1000);
      if (this.vial.faults.has('motor')) return 0;
      const dc = this.pwmFor('stirring')?.dutyCycle ?? 0;
      return dc > 5 ? Math.max(0, this.vial.rpmPerDc * dc - 5 + this.noise(3)) : 0;
    },
  };

  pwmFor(fn: PwmFunction): Pwm | null {
    const pin = this.fnToPin.get(fn);
    return pin === undefined ? null : (this.pwms.get(pin) ?? null);
  }

  allPwms(): Pwm[] {
    return [...this.pwms.values()];
  }

  async allOff(): Promise<void> {
    for (const p of this.pwms.values()) p.dutyCycle = 0;
    for (const c of Object.keys(this.ledState) as LedChannel[]) this.ledState[c] = 0;
  }

  async close(): Promise<void> {
    await this.allOff();
    this.closed = true;
  }
}
