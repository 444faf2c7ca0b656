/**
 * `stirring` (reference/pioreactor-control.md §4): PWM motor with a start kick, feed-forward from an active
 * stirring calibration, and a closed RPM loop (PID, output limits +-7.5) every `duration_between_updates_seconds`.
 */
import type { Pwm } from '../../hardware/interfaces.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { StirringFeedForward } from '../math/calibration.js';
import { Pid } from '../math/pid.js';
import { activeCalibration } from '../requests/calibrations.js';
import { Job } from '../runtime/job.js';
import { JobError, type JobKind } from '../runtime/manager.js';
import { setPwm } from '../runtime/outputs.js';

export function rpmWindowSeconds(target: number | null): number {
  return target && target > 0 ? Math.max(1, Math.min(10 / (target / 60), 5)) : 1;
}

export class Stirring extends Job {
  readonly name = 'stirring';
  private pwm!: Pwm;
  private ff!: StirringFeedForward;
  private pid!: Pid;
  private loop: ReturnType<Job['every']> | null = null;
  private useRpm = true;

  private get cfg() {
    return this.ctx.config['stirring.config'];
  }

  protected async onInit(): Promise<void> {
    const pwm = this.ctx.hw.pwmFor('stirring');
    if (!pwm) throw new JobError('bad_request', 'no PWM channel is mapped to stirring in [PWM]');
    this.pwm = pwm;
    await pwm.setFrequency(this.cfg.pwm_hz);
    this.useRpm = Boolean(this.options.use_rpm ?? this.cfg.use_rpm);
    const target = this.useRpm ? Math.min(5000, Math.max(0, Number(this.options.target_rpm ?? this.cfg.initial_target_rpm))) : null;
    const cal = activeCalibration(this.ctx.store, 'stirring');
    this.ff = new StirringFeedForward(Number(this.options.duty_cycle ?? this.cfg.initial_duty_cycle), cal);
    this.pid = new Pid({ kp: this.cfg.kp, ki: this.cfg.ki, kd: this.cfg.kd, setpoint: target ?? 0, outputLimits: [-7.5, 7.5] });
    this.declare('target_rpm', { datatype: 'float', settable: true, unit: 'RPM', set: (v) => this.setTarget(Number(v)) }, target);
    this.declare('measured_rpm', { datatype: 'MeasuredRPM', settable: false, unit: 'RPM', reading: true });
    this.declare('duty_cycle', { datatype: 'float', settable: true, unit: '%', set: (v) => this.applyDc(Number(v)) });
  }

  get target(): number | null {
    const t = this.getValue('target_rpm');
    return t === null ? null : Number(t);
  }

  private async applyDc(dc: number): Promise<void> {
    const v = Math.round(Math.min(100, Math.max(0, dc)) * 1e5) / 1e5;
    this.setValue('duty_cycle', v);
    if (this.state === 'ready' || this.state === 'init') await setPwm(this.ctx, this.experiment, this.pwm, v);
  }

  private async setTarget(rpm: number): Promise<void> {
    if (!this.useRpm) throw new Error('RPM feedback is disabled (use_rpm = 0)');
    const t = Math.min(5000, Math.max(0, rpm));
    const wasStopped = this.ff.dcEst === 0;
    this.setValue('target_rpm', t);
    this.pid.setpoint = t;
    if (wasStopped && t > 0 && this.state === 'ready') {
      await setPwm(this.ctx, this.experiment, this.pwm, 100);
      await this.sleep(350);
    }
    await this.applyDc(this.ff.retarget(t));
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (first) {
      const dc = this.target !== null ? this.ff.start(this.target) : this.ff.dcEst;
      if (dc > 0) {
        await setPwm(this.ctx, this.experiment, this.pwm, 100);
        await this.sleep(500);
      }
      await this.applyDc(dc);
    } else {
      await this.applyDc(Number(this.getValue('duty_cycle') ?? this.ff.dcEst));
    }
    this.startLoop();
  }

  private startLoop(): void {
    this.cancel(this.loop);
    const every = this.cfg.duration_between_updates_seconds * 1000;
    const first = Math.min(6000, every);
    this.after(first, async () => {
      await this.poll();
      if (this.state === 'ready') this.loop = this.every(every, () => this.poll());
    });
  }

  /** Measure RPM, publish it, and (with a target) nudge the duty cycle by the PID. */
  async poll(): Promise<void> {
    if (this.state !== 'ready') return;
    const target = this.target;
    const rpm = Math.round((await this.ctx.hw.rpm.measure(rpmWindowSeconds(target))) * 10) / 10;
    if (this.state !== 'ready') return;
    this.setValue('measured_rpm', { measured_rpm: rpm, timestamp: formatTimestamp(this.ctx.clock.now()) });
    if (!this.useRpm || target === null) return;
    if (target === 0) {
      this.ff.dcEst = 0;
    } else if (rpm === 0) {
      this.logMsg('WARNING', 'Stirring RPM is 0 - attempting to restart the motor.');
      this.rawPublish(`pioreactor/${this.unit}/$experiment/monitor/flicker_led_with_error_code`, '4', 2, false);
      await setPwm(this.ctx, this.experiment, this.pwm, 0);
      if (!(await this.sleep(750))) return;
      await setPwm(this.ctx, this.experiment, this.pwm, 100);
      if (!(await this.sleep(750))) return;
      this.ff.dcEst = Math.min(1.01 * this.ff.dcEst, 60);
    } else {
      this.ff.dcEst += this.pid.update(rpm, 1);
    }
    await this.applyDc(this.ff.dcEst);
  }

  protected override async onSleeping(): Promise<void> {
    this.cancel(this.loop);
    await setPwm(this.ctx, this.experiment, this.pwm, 0);
  }

  protected override async onDisconnected(): Promise<void> {
    if (this.pwm) await setPwm(this.ctx, this.experiment, this.pwm, 0).catch(() => undefined);
    this.setValue('measured_rpm', { measured_rpm: 0, timestamp: formatTimestamp(this.ctx.clock.now()) });
  }
}

export const stirringKind: JobKind = {
  name: 'stirring',
  help: 'Stir at a target RPM (closed loop on the hall sensor).',
  options: [
    { name: 'target_rpm', type: 'float', help: 'target RPM (default [stirring.config] initial_target_rpm)' },
    { name: 'duty_cycle', type: 'float', help: 'initial duty cycle %' },
    { name: 'use_rpm', type: 'boolean', help: 'closed loop on measured RPM' },
  ],
  create: (ctx, o) => new Stirring(ctx, o),
};
