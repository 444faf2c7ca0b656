/** The shared discrete PID (reference/pioreactor-control.md §5.1). */
import { clamp } from './stats.js';

export interface PidOptions {
  kp: number;
  ki: number;
  kd: number;
  setpoint: number;
  outputLimits: [number, number];
  /** Derivative smoothing (0 = none). */
  smoothing?: number;
}

export class Pid {
  kp: number;
  ki: number;
  kd: number;
  setpoint: number;
  readonly lo: number;
  readonly hi: number;
  private integral = 0;
  private lastInput: number | null = null;
  private dPrev = 0;
  private readonly s: number;

  constructor(o: PidOptions) {
    this.kp = o.kp;
    this.ki = o.ki;
    this.kd = o.kd;
    this.setpoint = o.setpoint;
    [this.lo, this.hi] = o.outputLimits;
    this.s = o.smoothing ?? 0;
  }

  update(input: number, dt = 1): number {
    const e = this.setpoint - input;
    this.integral = clamp(this.integral + e * dt, this.lo, this.hi);
    let d = this.lastInput === null ? 0 : -(input - this.lastInput) / dt;
    d = (1 - this.s) * d + this.s * this.dPrev;
    this.dPrev = d;
    this.lastInput = input;
    return clamp(this.kp * e + this.ki * this.integral + this.kd * d, this.lo, this.hi);
  }

  reset(): void {
    this.integral = 0;
    this.lastInput = null;
    this.dPrev = 0;
  }
}
