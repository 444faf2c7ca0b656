/**
 * The HAT's wiring, from reference/pioreactor-control.md §1 (BCM numbering). Kept apart from the
 * drivers so both backends and the probe agree on which pin and address does what.
 */
import type { LedChannel, PwmFunction } from './interfaces.js';

/** PWM channel ("1".."5" in `[PWM]`) to GPIO pin; identical on every HAT since 0.2. */
export const PWM_CHANNEL_PINS: Readonly<Record<string, number>> = { '1': 17, '2': 13, '3': 16, '4': 12, '5': 18 };

/** Pins that can carry kernel hardware PWM (PWM0/PWM1 on the Pi 4, four channels on the Pi 5's RP1). */
export const HARDWARE_PWM_PINS: readonly number[] = [12, 13, 18, 19];

export const I2C_ADDR = {
  /** RP2040 firmware ADC + DAC on HAT >= 1.1. */
  pico: 0x2c,
  /** ADS1115 on HAT <= 1.0 (and the first ADS1114 of the eye-spy optics). */
  ads: 0x48,
  /** DAC43608 LED driver on HAT <= 1.0 (and the second ADS1114 of the eye-spy optics). */
  dac43608: 0x49,
  tmp1075: 0x4f,
} as const;

export const LED_CHANNELS: readonly LedChannel[] = ['A', 'B', 'C', 'D'];

/** Parse "1.2" into a comparable number; unknown text counts as the current production HAT. */
export function hatVersionNumber(v: string): number {
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : 1.2;
}

/** HAT >= 1.1 replaced the ADS1115 and DAC43608 with the Pico's firmware ADC/DAC. */
export function hatHasPico(hatVersion: string): boolean {
  return hatVersionNumber(hatVersion) >= 1.1;
}

export interface HatPins {
  pcbLed: number;
  button: number;
  hall: number;
}

export function hatPins(hatVersion: string): HatPins {
  return hatHasPico(hatVersion) ? { pcbLed: 23, button: 4, hall: 21 } : { pcbLed: 23, button: 24, hall: 25 };
}

/** `[PWM]` as function -> pin (channels mapped to "" are skipped). */
export function pwmPinsByFunction(pwmSection: Readonly<Record<string, string>>): Map<PwmFunction, number> {
  const out = new Map<PwmFunction, number>();
  for (const [channel, fn] of Object.entries(pwmSection)) {
    const pin = PWM_CHANNEL_PINS[channel];
    if (fn && pin !== undefined) out.set(fn as PwmFunction, pin);
  }
  return out;
}

/** Photodiode channel (1-4) mapped to an angle or REF in `[od_config.photodiode_channel]`. */
export type PdRole = '45' | '90' | '135' | '180' | 'REF' | '';

/** The LED channel whose `[leds]` label is IR (A by default). */
export function irLedChannel(leds: Readonly<Record<string, string>>): LedChannel {
  for (const ch of LED_CHANNELS) if ((leds[ch.toLowerCase()] ?? '').toUpperCase() === 'IR') return ch;
  return 'A';
}
