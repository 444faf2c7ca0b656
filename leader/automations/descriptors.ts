/** UI descriptors of automations (pioreactor-api.md §2.3 `GET /automations/descriptors/{type}`). */
import { z } from 'zod';

export const AutomationField = z.looseObject({
  key: z.string().min(1),
  default: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  label: z.string(),
  disabled: z.boolean().default(false),
  unit: z.string().optional(),
  type: z.enum(['numeric', 'string', 'select']),
  options: z.array(z.string()).optional(),
});

export const AutomationDescriptor = z.looseObject({
  display_name: z.string().min(1),
  automation_name: z.string().min(1),
  description: z.string(),
  source: z.string().optional(),
  fields: z.array(AutomationField),
});
export type AutomationDescriptor = z.input<typeof AutomationDescriptor>;
