/**
 * Stirring RPM from hall-sensor edges (Pioreactor's RpmFromFrequency, one pulse per revolution):
 * RPM = intervals*60/sum(intervals), rounded to 0.1; 0 with no interval.
 */
import type { Clock } from '../../shared/clock.js';
import type { Gpio, RpmCounter } from '../interfaces.js';

/** `intervalsSeconds`: times between consecutive falling edges. */
export function rpmFromIntervals(intervalsSeconds: readonly number[]): number {
  const sum = intervalsSeconds.reduce((a, b) => a + b, 0);
  if (intervalsSeconds.length === 0 || sum <= 0) return 0;
  return Math.round(((intervalsSeconds.length * 60) / sum) * 10) / 10;
}

/** Counts falling edges on the hall pin for a window on the given clock. */
export class HallRpmCounter implements RpmCounter {
  constructor(
    private readonly gpio: Gpio,
    private readonly pin: number,
    private readonly clock: Clock,
  ) {}

  async measure(windowSeconds: number): Promise<number> {
    const intervals: number[] = [];
    let last: number | null = null;
    const stop = this.gpio.watch(this.pin, 'falling', (tickMs) => {
      if (last !== null) intervals.push((tickMs - last) / 1000);
      last = tickMs;
    });
    try {
      await this.clock.sleep(windowSeconds * 1000);
    } finally {
      stop();
    }
    return rpmFromIntervals(intervals);
  }
}
