/**
 * `fed_batch` (reference/pioreactor-control.md §6.4): every `duration` minutes add `dosing_volume_ml` of media,
 * never removing anything; skip (error, sleeping) when the dose would reach the max fill.
 */
import { z } from 'zod';
import { DosingAutomation, event, num, round, type AutomationEvent, type AutomationHost, type AutomationOptions, type DosingAutomationClass } from './base.js';
import type { AutomationDescriptor } from './descriptors.js';

const settings = z.strictObject({
  dosing_volume_ml: num(1.0).refine((v) => v > 0, 'must be above 0'),
  duration: num(720).refine((v) => v > 0, 'must be above 0'),
});
const SETTABLE = ['dosing_volume_ml', 'duration'] as const;

export class FedBatch extends DosingAutomation {
  readonly automationName = 'fed_batch';
  protected override onStart(): void {
    this.host.log('warning', 'fed_batch adds media and removes nothing: watch the volume.');
  }
  protected schedule(): void {
    this.runEvery(Number(this.settings.duration), false, 2);
  }
  protected async execute(): Promise<AutomationEvent | null> {
    const dose = Number(this.settings.dosing_volume_ml);
    if (this.vial.current_volume_ml + dose >= this.limits.maxFillMl) {
      this.host.log('error', `adding ${dose} mL to ${round(this.vial.current_volume_ml)} mL would reach the max fill ${this.limits.maxFillMl} mL: pausing`);
      this.setState('sleeping');
      return event('NoEvent', 'Skipped dosing to avoid overflow.');
    }
    const v = await this.addOnly('media', dose);
    if (v === null) return event('NoEvent', 'Dosing was not confirmed.');
    if (Math.abs(v - dose) > 1e-9) this.host.log('warning', 'Under-dosed!');
    return event('AddMediaEvent', `Added ${round(v)} mL`);
  }
}

export const fedBatch: DosingAutomationClass & { descriptor: AutomationDescriptor } = {
  automationName: 'fed_batch',
  settings,
  settable: SETTABLE,
  create: (host: AutomationHost, s: Record<string, unknown>, o: AutomationOptions) => new FedBatch(host, s, o, SETTABLE),
  descriptor: {
    display_name: 'Fed-batch',
    automation_name: 'fed_batch',
    description: 'Add a fixed volume of media every `duration` minutes; nothing is removed.',
    fields: [
      { key: 'dosing_volume_ml', default: 1.0, label: 'Volume', unit: 'mL', type: 'numeric', disabled: false },
      { key: 'duration', default: 720, label: 'Time between dosing', unit: 'min', type: 'numeric', disabled: false },
    ],
  },
};
