/**
 * Errors the hardware layer raises on purpose. A missing chip or bus must read as a sentence a lab
 * user can act on ("enable I2C in raspi-config"), never as a native stack trace from a binding.
 */

const BRAND = Symbol.for('colony.HardwareUnavailableError');

/** The `pi` backend cannot run here; `problems` holds one sentence per missing piece. */
export class HardwareUnavailableError extends Error {
  readonly [BRAND] = true;

  constructor(readonly problems: string[]) {
    super(`The pi hardware backend is unavailable: ${problems.join(' ')}`);
    this.name = 'HardwareUnavailableError';
  }

  /**
   * `instanceof` by brand: the pi backend is loaded with a dynamic import, and under a TS loader
   * (tsx in tests) that can instantiate this module twice, which would break a plain prototype check.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}
