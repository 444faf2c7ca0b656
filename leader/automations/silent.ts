/** `silent`: does nothing (reference/pioreactor-control.md §6.4). */
import { z } from 'zod';
import { DosingAutomation, type AutomationEvent, type AutomationHost, type AutomationOptions, type DosingAutomationClass } from './base.js';
import type { AutomationDescriptor } from './descriptors.js';

const settings = z.strictObject({});

export class Silent extends DosingAutomation {
  readonly automationName = 'silent';
  protected schedule(): void {}
  protected async execute(): Promise<AutomationEvent | null> {
    return null;
  }
}

export const silent: DosingAutomationClass & { descriptor: AutomationDescriptor } = {
  automationName: 'silent',
  settings,
  settable: [],
  create: (host: AutomationHost, s: Record<string, unknown>, o: AutomationOptions) => new Silent(host, s, o, []),
  descriptor: { display_name: 'Silent', automation_name: 'silent', description: 'Nothing happens: no dosing.', fields: [] },
};
