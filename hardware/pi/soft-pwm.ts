/**
 * Software PWM on any GPIO line, for the pins without a hardware channel (stirring on 17, pumps).
 * Each edge is a timer on the injected Clock plus a sysfs write, so edges jitter by the event
 * loop's latency (typically 0.1-1 ms on an idle Pi 4, several ms under load, and Node timers have
 * 1 ms resolution). At the heater's 16 Hz (62.5 ms period) that is a duty error of about 1-2 %;
 * at stirring's 200 Hz (5 ms period) it can reach 20 %, which the RPM feedback loop absorbs.
 * Duty 0 and 100 hold the line steady with no timer at all.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Pwm } from '../interfaces.js';

/** The minimal line access the software PWM needs. */
export interface PwmLine {
  set(value: 0 | 1): void;
}

export class SoftwarePwm implements Pwm {
  private hz: number;
  private dc = 0;
  private timer: TimerHandle | null = null;

  constructor(
    readonly pin: number,
    private readonly line: PwmLine,
    private readonly clock: Clock,
    hz = 200,
  ) {
    this.hz = hz;
  }

  get dutyCycle(): number {
    return this.dc;
  }

  get frequency(): number {
    return this.hz;
  }

  async setFrequency(hz: number): Promise<void> {
    if (!(hz > 0)) throw new RangeError(`PWM frequency ${hz} Hz must be above 0`);
    this.hz = hz;
    this.restart();
  }

  async setDutyCycle(dc: number): Promise<void> {
    this.dc = Math.min(100, Math.max(0, dc));
    this.restart();
  }

  async off(): Promise<void> {
    await this.setDutyCycle(0);
  }

  async close(): Promise<void> {
    await this.off();
  }

  private restart(): void {
    this.clock.clear(this.timer);
    this.timer = null;
    if (this.dc <= 0) return this.line.set(0);
    if (this.dc >= 100) return this.line.set(1);
    const period = 1000 / this.hz;
    const high = (period * this.dc) / 100;
    const cycle = (): void => {
      this.line.set(1);
      this.timer = this.clock.setTimeout(() => {
        this.line.set(0);
        this.timer = this.clock.setTimeout(cycle, period - high);
      }, high);
    };
    cycle();
  }
}
