/**
 * `led_automation` (reference/pioreactor-control.md §7): `light_dark_cycle` on channels D and C with a one-shot
 * timer at each phase boundary, and `silent`. On exit every channel it touched goes to 0.
 */
import type { LedChannel } from '../../hardware/interfaces.js';
import { Job } from '../runtime/job.js';
import { JobError, type JobKind } from '../runtime/manager.js';
import { setLeds } from '../runtime/outputs.js';

/** The desired state at elapsed minutes t, or null when it equals the current one. */
export function lightDarkDecision(t: number, on: boolean, light: number, dark: number): boolean | null {
  let want: boolean;
  if (light <= 0) want = false;
  else if (dark <= 0) want = true;
  else want = t % (light + dark) < light;
  return want === on ? null : want;
}

const CHANNELS: LedChannel[] = ['D', 'C'];

export class LedAutomation extends Job {
  readonly name = 'led_automation';
  private on = false;
  private boundary: ReturnType<Job['after']> | null = null;
  private automation = 'light_dark_cycle';
  private t0 = 0;

  protected async onInit(): Promise<void> {
    this.automation = String(this.options.automation_name ?? 'light_dark_cycle');
    if (!['light_dark_cycle', 'silent'].includes(this.automation)) throw new JobError('bad_request', `unknown led automation "${this.automation}"`);
    this.declare('automation_name', { datatype: 'string', settable: false }, this.automation);
    this.declare('latest_event', { datatype: 'AutomationEvent', settable: false, reading: true });
    if (this.automation === 'light_dark_cycle') {
      const light = Number(this.options.light_intensity ?? 5);
      if (!(light >= 0 && light <= 100)) throw new JobError('bad_request', `light_intensity must be 0-100 %, got ${this.options.light_intensity}`);
      for (const k of ['light_duration_minutes', 'dark_duration_minutes'])
        if (this.options[k] !== undefined && !(Number(this.options[k]) >= 0)) throw new JobError('bad_request', `${k} must be >= 0, got ${this.options[k]}`);
      const re = (name: string) => (v: unknown) => {
        this.setValue(name, Number(v));
        void this.evaluate();
      };
      this.declare('light_intensity', { datatype: 'float', settable: true, unit: '%', set: async (v) => {
        this.setValue('light_intensity', Number(v));
        if (this.on) await this.apply(true);
      } }, Number(this.options.light_intensity ?? 5));
      this.declare('light_duration_minutes', { datatype: 'float', settable: true, unit: 'min', set: re('light_duration_minutes') }, Number(this.options.light_duration_minutes ?? 960));
      this.declare('dark_duration_minutes', { datatype: 'float', settable: true, unit: 'min', set: re('dark_duration_minutes') }, Number(this.options.dark_duration_minutes ?? 480));
    }
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (!first) return;
    this.t0 = this.ctx.clock.now();
    if (this.automation === 'silent') this.setValue('latest_event', { event_name: 'NoEvent', message: 'no changes occur in Silent', data: null });
    else await this.evaluate();
  }

  private async apply(on: boolean): Promise<void> {
    const v = on ? Number(this.getValue('light_intensity')) : 0;
    await setLeds(this.ctx, this.experiment, { D: v, C: v }, `led_automation:${this.automation}`);
  }

  private async evaluate(): Promise<void> {
    this.cancel(this.boundary);
    if (this.isStopping) return;
    const L = Number(this.getValue('light_duration_minutes'));
    const D = Number(this.getValue('dark_duration_minutes'));
    const t = (this.ctx.clock.now() - this.t0) / 60_000;
    const d = lightDarkDecision(t, this.on, L, D);
    if (d !== null) {
      this.on = d;
      await this.apply(d);
      const msg = `${Math.round(t * 100) / 100}min: turned ${d ? 'on' : 'off'} LEDs.`;
      this.setValue('latest_event', { event_name: 'ChangedLedIntensity', message: msg, data: null });
      this.logMsg('INFO', `ChangedLedIntensity: ${msg}`);
    }
    if (L > 0 && D > 0) {
      const pos = t % (L + D);
      const next = pos < L ? L - pos : L + D - pos;
      this.boundary = this.after(Math.max(next * 60_000, 50), () => this.evaluate());
    }
  }

  protected override async onDisconnected(): Promise<void> {
    if (this.automation !== 'silent') await setLeds(this.ctx, this.experiment, Object.fromEntries(CHANNELS.map((c) => [c, 0])), `led_automation:${this.automation}`).catch(() => undefined);
  }
}

export const ledAutomationKind: JobKind = {
  name: 'led_automation',
  help: 'LED automations: light_dark_cycle (channels D and C) or silent.',
  options: [
    { name: 'automation_name', type: 'string', help: 'light_dark_cycle | silent', default: 'light_dark_cycle' },
    { name: 'light_intensity', type: 'float', help: '%', default: 5 },
    { name: 'light_duration_minutes', type: 'float', help: 'minutes', default: 960 },
    { name: 'dark_duration_minutes', type: 'float', help: 'minutes', default: 480 },
  ],
  create: (ctx, o) => new LedAutomation(ctx, o),
};
