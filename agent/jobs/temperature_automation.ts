/**
 * `temperature_automation` (reference/pioreactor-control.md §5): the heater is switched off for
 * `samples_per_inference` samples every `inference_every_n_seconds` to infer the culture temperature (model 2.0);
 * `thermostat` (PID on the inferred temperature) or `only_record_temperature`. Safety limits apply on every read and
 * on every heater write, whatever the automation asks: reduce (x0.9), disable (0), shutdown (0 and stop).
 */
import type { Pwm } from '../../hardware/interfaces.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { Pid } from '../math/pid.js';
import { inferTemperatureModel2, safetyLimits, type SafetyLimits } from '../math/temperature-model.js';
import { clamp, mean } from '../math/stats.js';
import { Job } from '../runtime/job.js';
import { JobError, type JobKind } from '../runtime/manager.js';
import { setPwm } from '../runtime/outputs.js';

export const TEMPERATURE_AUTOMATIONS = ['thermostat', 'only_record_temperature'] as const;

export class TemperatureAutomation extends Job {
  readonly name = 'temperature_automation';
  private heater!: Pwm;
  private limits!: SafetyLimits;
  private automation: (typeof TEMPERATURE_AUTOMATIONS)[number] = 'thermostat';
  private pid: Pid | null = null;
  private locked = false;
  private disabled = false;
  private lastTemp: number | null = null;

  private get cfg() {
    return this.ctx.config['temperature_automation.config'];
  }

  protected async onInit(): Promise<void> {
    const heater = this.ctx.hw.pwmFor('heating');
    if (!heater) throw new JobError('bad_request', 'no PWM channel is mapped to heating in [PWM]');
    this.heater = heater;
    await heater.setFrequency(this.cfg.pwm_hz);
    const c = this.ctx.config.colony;
    this.limits = safetyLimits(c.model, c.model_version);
    const name = String(this.options.automation_name ?? 'thermostat');
    if (!(TEMPERATURE_AUTOMATIONS as readonly string[]).includes(name)) throw new JobError('bad_request', `unknown temperature automation "${name}"`);
    this.automation = name as (typeof TEMPERATURE_AUTOMATIONS)[number];
    this.declare('automation_name', { datatype: 'string', settable: false }, this.automation);
    this.declare('temperature', { datatype: 'Temperature', settable: false, unit: '℃', reading: true });
    this.declare('heater_duty_cycle', { datatype: 'float', settable: false, unit: '%' }, 0);
    this.declare('latest_event', { datatype: 'AutomationEvent', settable: false, reading: true });
    if (this.automation === 'thermostat') {
      const target = clamp(Number(this.options.target_temperature ?? 30), 0, this.limits.reduce);
      const g = this.ctx.config['temperature_automation.thermostat'];
      this.pid = new Pid({ kp: g.kp, ki: g.ki, kd: g.kd, setpoint: target, outputLimits: [-25, 25] });
      this.declare('target_temperature', {
        datatype: 'float',
        settable: true,
        unit: '℃',
        set: (v) => {
          const t = clamp(Number(v), 0, this.limits.reduce);
          this.pid!.setpoint = t;
          this.setValue('target_temperature', t);
        },
      }, target);
    }
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (!first) return;
    const t = await this.readPlate();
    this.publishTemperature(t);
    const every = this.cfg.inference_every_n_seconds * 1000;
    const offFor = this.cfg.samples_per_inference * this.cfg.seconds_between_samples * 1000;
    this.after(Math.max(0, every - offFor), () => {
      void this.infer();
      this.every(every, () => this.infer());
    });
    this.every(53_000 * (every / 200_000), () => this.safetyRead());
  }

  /** The mean of 6 plate reads 50 ms apart, with the safety check. */
  private async readPlate(): Promise<number> {
    const xs: number[] = [];
    for (let i = 0; i < 6; i++) {
      xs.push(await this.ctx.hw.temperature.readCelsius());
      if (i < 5) await this.ctx.clock.sleep(50);
    }
    const t = mean(xs);
    await this.checkSafety(t);
    return t;
  }

  private async safetyRead(): Promise<void> {
    if (this.locked) return;
    await this.checkSafety(await this.ctx.hw.temperature.readCelsius());
  }

  /** Safety limits (§5.2). */
  async checkSafety(t: number): Promise<void> {
    this.lastTemp = t;
    const L = this.limits;
    if (t > L.shutdown) {
      this.logMsg('CRITICAL', `Temperature of heating surface has exceeded ${L.shutdown}℃ - currently ${t.toFixed(2)}℃. Turning off the heater and stopping.`);
      this.disabled = true;
      await this.setHeater(0);
      void this.stop();
    } else if (t > L.disable) {
      this.logMsg('ERROR', `Temperature of heating surface has exceeded ${L.disable}℃ - currently ${t.toFixed(2)}℃. Disabling the heater.`);
      this.disabled = true;
      await this.setHeater(0);
    } else if (t > L.reduce) {
      this.logMsg('WARNING', `Temperature of heating surface has exceeded ${L.reduce}℃ - currently ${t.toFixed(2)}℃. Reducing the heater.`);
      await this.setHeater(Number(this.getValue('heater_duty_cycle')) * 0.9);
    }
  }

  /** Every heater write goes through here: clamped, rounded, and never above the limits. */
  async setHeater(dc: number): Promise<void> {
    let v = Math.round(clamp(dc, 0, 100) * 100) / 100;
    if (this.disabled || this.isStopping) v = 0;
    if (this.lastTemp !== null && this.lastTemp > this.limits.disable) v = 0;
    if (this.values.has('heater_duty_cycle')) this.setValue('heater_duty_cycle', v);
    if (!this.locked || v === 0) await setPwm(this.ctx, this.experiment, this.heater, v);
  }

  private publishTemperature(t: number): void {
    this.setValue('temperature', { temperature: Math.round(t * 100) / 100, timestamp: formatTimestamp(this.ctx.clock.now()) });
  }

  /** One inference cycle: heater off, sample, restore, infer, run the automation. */
  async infer(): Promise<void> {
    if (this.locked || this.state === 'disconnected') return;
    this.locked = true;
    const dcPrev = Number(this.getValue('heater_duty_cycle') ?? 0);
    const temps: number[] = [];
    try {
      await setPwm(this.ctx, this.experiment, this.heater, 0);
      const n = this.cfg.samples_per_inference;
      for (let i = 0; i < n; i++) {
        temps.push(await this.readPlate());
        if (this.isStopping) return;
        if (i < n - 1 && !(await this.sleep(this.cfg.seconds_between_samples * 1000))) return;
      }
    } finally {
      this.locked = false;
    }
    await this.setHeater(this.state === 'ready' ? dcPrev : 0);
    let t: number;
    try {
      t = temps.length === 21 || dcPrev === 0 ? inferTemperatureModel2(dcPrev, temps) : temps[temps.length - 1];
    } catch (e) {
      this.logMsg('WARNING', `temperature inference failed: ${(e as Error).message}`);
      return;
    }
    this.publishTemperature(t);
    if (this.state === 'ready') await this.runAutomation(t);
  }

  private async runAutomation(t: number): Promise<void> {
    let event: { event_name: string; message: string | null; data: Record<string, unknown> | null };
    if (this.automation === 'only_record_temperature' || !this.pid) {
      await this.setHeater(0);
      event = { event_name: 'NoEvent', message: null, data: null };
    } else {
      const u = this.pid.update(t, 1);
      const current = Number(this.getValue('heater_duty_cycle'));
      await this.setHeater(current + u);
      event = {
        event_name: 'UpdatedHeaterDC',
        message: `delta_dc=${u}`,
        data: { current_dc: Number(this.getValue('heater_duty_cycle')), delta_dc: u, target_temperature: this.pid.setpoint, latest_temperature: t },
      };
    }
    this.setValue('latest_event', event);
    if (event.event_name !== 'NoEvent') this.logMsg('INFO', `${event.event_name}: ${event.message}`);
  }

  protected override async onSleeping(): Promise<void> {
    await this.setHeater(0);
  }

  protected override async onDisconnected(): Promise<void> {
    if (this.heater) await setPwm(this.ctx, this.experiment, this.heater, 0).catch(() => undefined);
  }
}

export const temperatureKind: JobKind = {
  name: 'temperature_automation',
  help: 'Infer the culture temperature and run a temperature automation (thermostat, only_record_temperature).',
  options: [
    { name: 'automation_name', type: 'string', help: 'thermostat | only_record_temperature', default: 'thermostat' },
    { name: 'target_temperature', type: 'float', help: 'thermostat target in ℃', default: 30 },
  ],
  create: (ctx, o) => new TemperatureAutomation(ctx, o),
};
