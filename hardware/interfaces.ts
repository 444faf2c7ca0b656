/**
 * The hardware edge. Every job talks to these interfaces only; the `pi` backend implements them
 * with real chips (i2c-bus, sysfs GPIO/PWM), the `sim` backend with a physical model of a vial.
 * Channel numbers and functions follow reference/pioreactor-control.md §1.
 */

export type Edge = 'rising' | 'falling' | 'both';

/** Digital lines, by BCM number. */
export interface Gpio {
  read(pin: number): Promise<0 | 1>;
  write(pin: number, value: 0 | 1): Promise<void>;
  /** Call `cb` on each edge; returns a function that stops watching. */
  watch(pin: number, edge: Edge, cb: (tickMs: number) => void): () => void;
  close(): Promise<void>;
}

/** One PWM output. Duty cycle in percent, 0-100. */
export interface Pwm {
  readonly pin: number;
  setFrequency(hz: number): Promise<void>;
  setDutyCycle(dc: number): Promise<void>;
  readonly dutyCycle: number;
  /** Duty cycle 0 and output disabled. */
  off(): Promise<void>;
  close(): Promise<void>;
}

/** An I2C bus (the `pi` backend's i2c-bus, a recording fake in tests, or the simulator's chips). */
export interface I2cBus {
  readByte(addr: number, register: number): Promise<number>;
  readWord(addr: number, register: number): Promise<number>;
  readBytes(addr: number, register: number, length: number): Promise<Buffer>;
  writeByte(addr: number, register: number, value: number): Promise<void>;
  writeWord(addr: number, register: number, value: number): Promise<void>;
  writeBytes(addr: number, register: number, bytes: Buffer | number[]): Promise<void>;
  /** Raw write with no register (e.g. the Pico DAC's `[channel, value]`). */
  write(addr: number, bytes: Buffer | number[]): Promise<void>;
  /** Addresses that answer (for the `pi` backend's probe and `doctor`). */
  scan(): Promise<number[]>;
  close(): Promise<void>;
}

/** ADS1115 gains (FSR 6.144 V down to 0.256 V). */
/** ADS1115 gains; two-thirds (FSR 6.144 V) is written as the number 2/3. */
export type AdcGain = number;

/** The photodiode ADC. Channels are the photodiode channels 1-4 of `[od_config.photodiode_channel]`. */
export interface Adc {
  /** One sample of the channel, in volts. */
  readVolts(pdChannel: number): Promise<number>;
  setGain(gain: AdcGain): Promise<void>;
  readonly gain: AdcGain;
  /** Whether the converter has a gain at all (the Pico ADC has none). */
  readonly hasGain: boolean;
  /** The PWM rail (aux) voltage, in volts. */
  readAuxVolts(): Promise<number>;
}

export interface TemperatureSensor {
  /** The heating plate's temperature, in degrees C (TMP1075 on the heating PCB). */
  readCelsius(): Promise<number>;
}

export type LedChannel = 'A' | 'B' | 'C' | 'D';

export interface LedDriver {
  /** Intensity 0-100 %. */
  set(channel: LedChannel, intensity: number): Promise<void>;
  get(channel: LedChannel): number;
  all(): Record<LedChannel, number>;
}

export interface RpmCounter {
  /** Count hall-sensor pulses over `windowSeconds` and return RPM (0 with no pulses). */
  measure(windowSeconds: number): Promise<number>;
}

/** What a PWM channel drives, from `[PWM]` (prod: 1=stirring, 2=media, 3=alt_media, 4=waste, 5=heating). */
export type PwmFunction = 'stirring' | 'media' | 'alt_media' | 'waste' | 'heating';

export interface HardwareInfo {
  backend: 'sim' | 'pi';
  model: string;
  modelVersion: string;
  hatVersion: string;
  /** Free-form description (Pi model, HAT serial, or "simulated vial, seed 1"). */
  description: string;
}

/** Everything a unit's jobs need, built from the unit's config. */
export interface HardwareBackend {
  readonly info: HardwareInfo;
  readonly gpio: Gpio;
  readonly adc: Adc;
  readonly temperature: TemperatureSensor;
  readonly leds: LedDriver;
  readonly rpm: RpmCounter;
  /** The PWM output mapped to a function, or null when `[PWM]` maps none. */
  pwmFor(fn: PwmFunction): Pwm | null;
  /** Every PWM output, keyed by GPIO pin (for `pwms/dc` and the fail-safe "all off"). */
  allPwms(): Pwm[];
  /** Turn every PWM and LED output off (fail-safe path). Never throws. */
  allOff(): Promise<void>;
  close(): Promise<void>;
}
