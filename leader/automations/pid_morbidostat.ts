/**
 * `pid_morbidostat` (reference/pioreactor-control.md §6.4): every `duration` minutes, below 0.7 x target OD do
 * nothing; otherwise a PID with negated gains on the growth rate sets the alt-media fraction of a dose
 * `X = round(target_gr * V * duration/60, 4)` (2.5 X above 1.25 x target OD).
 */
import { z } from 'zod';
import { DosingAutomation, event, num, numRequired, Pid, round, type AutomationEvent, type AutomationHost, type AutomationOptions, type DosingAutomationClass, type PumpName } from './base.js';
import type { AutomationDescriptor } from './descriptors.js';

const settings = z.strictObject({
  target_growth_rate: numRequired(),
  target_normalized_od: numRequired().refine((v) => v > 0, 'must be above 0'),
  duration: num(60).refine((v) => v > 0, 'must be above 0'),
});
const SETTABLE = ['target_growth_rate', 'target_normalized_od', 'duration'] as const;

export class PidMorbidostat extends DosingAutomation {
  readonly automationName = 'pid_morbidostat';
  private pid: Pid;
  readonly minimumDosingVolumeMl: number;

  constructor(host: AutomationHost, s: Record<string, unknown>, o: AutomationOptions) {
    super(host, s, o, SETTABLE);
    const c = o.config?.['dosing_automation.pid_morbidostat'] ?? {};
    const kp = Number(c.kp ?? 1);
    const ki = Number(c.ki ?? 0);
    const kd = Number(c.kd ?? 0);
    this.minimumDosingVolumeMl = Number(c.minimum_dosing_volume_ml ?? 0.1);
    this.pid = new Pid(-kp, -ki, -kd, Number(s.target_growth_rate), [0, 1]);
  }

  /** X = round(target_gr * V * duration / 60, 4). */
  get volumeToCycle(): number {
    return round((Number(this.settings.target_growth_rate) * this.vial.current_volume_ml * Number(this.settings.duration)) / 60, 4);
  }

  protected override onSettingChanged(key: string): void {
    if (key === 'target_growth_rate') this.pid.setpoint = Number(this.settings.target_growth_rate);
    super.onSettingChanged(key);
  }

  protected schedule(): void {
    this.runEvery(Number(this.settings.duration), false, 2);
  }

  protected async execute(): Promise<AutomationEvent | null> {
    const targetOd = Number(this.settings.target_normalized_od);
    const od = this.latestNormalizedOd;
    if (od <= 0.7 * targetOd) return event('NoEvent', `latest OD less than OD to start diluting, ${round(od)} ≤ ${round(0.7 * targetOd)}`);
    const gr = this.latestGrowthRate;
    const frac = this.pid.update(gr, Number(this.settings.duration) / 60);
    let vol = od > 1.25 * targetOd ? 2.5 * this.volumeToCycle : this.volumeToCycle;
    let alt = frac * vol;
    let media = (1 - frac) * vol;
    if (alt < this.minimumDosingVolumeMl) {
      vol -= alt;
      alt = 0;
    }
    if (media < this.minimumDosingVolumeMl) {
      vol -= media;
      media = 0;
    }
    const adds: Array<[PumpName, number]> = [
      ['alt_media', alt],
      ['media', media],
    ];
    if (vol > 0) await this.executeIoAction(adds, vol);
    return event('AddAltMediaEvent', `PID output=${round(frac, 2)}, alt_media_ml=${round(alt, 2)}mL, media_ml=${round(media, 2)}mL`, {
      fraction_of_alt_media_to_add: frac,
      alt_media_ml: alt,
      media_ml: media,
    });
  }
}

export const pidMorbidostat: DosingAutomationClass & { descriptor: AutomationDescriptor } = {
  automationName: 'pid_morbidostat',
  settings,
  settable: SETTABLE,
  create: (host: AutomationHost, s: Record<string, unknown>, o: AutomationOptions) => new PidMorbidostat(host, s, o),
  descriptor: {
    display_name: 'PID Morbidostat',
    automation_name: 'pid_morbidostat',
    description: 'Hold a target growth rate by adding alt media (an inhibitor) through a PID controller.',
    fields: [
      { key: 'target_growth_rate', default: 0.1, label: 'Target growth rate', unit: 'h⁻¹', type: 'numeric', disabled: false },
      { key: 'target_normalized_od', default: 1.5, label: 'Target nOD', unit: 'AU', type: 'numeric', disabled: false },
      { key: 'duration', default: 60, label: 'Time between dosing', unit: 'min', type: 'numeric', disabled: false },
    ],
  },
};
