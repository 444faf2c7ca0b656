/**
 * `chemostat` (reference/pioreactor-control.md §6.4): every `duration` minutes (first run 2 s after start) exchange
 * `exchange_volume_ml` of media for waste. Event `DilutionEvent`.
 */
import { z } from 'zod';
import { DosingAutomation, event, num, round, type AutomationEvent, type AutomationHost, type AutomationOptions, type DosingAutomationClass } from './base.js';
import type { AutomationDescriptor } from './descriptors.js';

const settings = z.strictObject({
  exchange_volume_ml: num(0.5).refine((v) => v > 0, 'must be above 0'),
  duration: num(20).refine((v) => v > 0, 'must be above 0'),
  skip_first_run: z.union([z.boolean(), z.string().transform((s) => /^(1|true)$/i.test(s))]).default(false),
});
const SETTABLE = ['exchange_volume_ml', 'duration'] as const;

export class Chemostat extends DosingAutomation {
  readonly automationName = 'chemostat';
  protected schedule(): void {
    this.runEvery(Number(this.settings.duration), Boolean(this.settings.skip_first_run), 2);
  }
  protected async execute(): Promise<AutomationEvent | null> {
    const x = Number(this.settings.exchange_volume_ml);
    const moved = await this.executeIoAction([['media', x]], x);
    return event('DilutionEvent', `exchanged ${round(moved.media_ml)}mL`, { exchange_volume_ml: x, volume_actually_cycled_ml: moved.media_ml });
  }
}

export const chemostat: DosingAutomationClass & { descriptor: AutomationDescriptor } = {
  automationName: 'chemostat',
  settings,
  settable: SETTABLE,
  create: (host: AutomationHost, s: Record<string, unknown>, o: AutomationOptions) => new Chemostat(host, s, o, SETTABLE),
  descriptor: {
    display_name: 'Chemostat',
    automation_name: 'chemostat',
    description: 'Exchange a fixed volume of media for waste every `duration` minutes (a constant dilution rate).',
    fields: [
      { key: 'exchange_volume_ml', default: 0.5, label: 'Volume', unit: 'mL', type: 'numeric', disabled: false },
      { key: 'duration', default: 20, label: 'Time between dosing', unit: 'min', type: 'numeric', disabled: false },
    ],
  },
};
