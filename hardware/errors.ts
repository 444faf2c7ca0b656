/**
 * Errors the hardware layer raises on purpose. A missing chip or bus must read as a sentence a lab
 * user can act on ("enable I2C in raspi-config"), never as a native stack trace from a binding.
 */

/** The `pi` backend cannot run here; `problems` holds one sentence per missing piece. */
export class HardwareUnavailableError extends Error {
  constructor(readonly problems: string[]) {
    super(`The pi hardware backend is unavailable: ${problems.join(' ')}`);
    this.name = 'HardwareUnavailableError';
  }
}
