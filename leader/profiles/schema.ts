/**
 * The experiment profile YAML (reference/pioreactor-api.md §7): strict at every level (unknown keys are errors,
 * as msgspec's forbid_unknown_fields), with the error naming the path of the bad key.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A time: hours as a number, or `<num>(s|m|h|d)`; no negatives. */
export const Time = z.union([
  z.number().nonnegative('times cannot be negative'),
  z.string().trim().regex(/^\d+(\.\d+)?\s*(s|m|h|d)$/, 'a time is a number of hours or "<number>(s|m|h|d)", e.g. "30s", "1.5h"'),
]);
export type Time = z.infer<typeof Time>;

export function timeToMs(t: Time): number {
  if (typeof t === 'number') return t * 3_600_000;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(t.trim())!;
  const n = Number(m[1]);
  return n * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

const Expr = z.union([z.boolean(), z.string(), z.number()]);
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const common = { hours_elapsed: z.number().nonnegative().optional(), t: Time.optional(), if: Expr.optional() };

const Log = z.strictObject({
  type: z.literal('log'),
  ...common,
  options: z.strictObject({
    message: z.string(),
    level: z
      .string()
      .refine((l) => ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR'].includes(l.toUpperCase()), 'level is one of DEBUG, INFO, NOTICE, WARNING, ERROR')
      .default('NOTICE'),
  }),
});
const Start = z.strictObject({
  type: z.literal('start'),
  ...common,
  options: z.record(z.string(), Scalar).default({}),
  args: z.array(z.string()).default([]),
  config_overrides: z.record(z.string(), Scalar).default({}),
});
const Update = z.strictObject({ type: z.literal('update'), ...common, options: z.record(z.string(), Scalar) });
const Pause = z.strictObject({ type: z.literal('pause'), ...common });
const Resume = z.strictObject({ type: z.literal('resume'), ...common });
const Stop = z.strictObject({ type: z.literal('stop'), ...common });

export const BasicAction = z.discriminatedUnion('type', [Log, Start, Update, Pause, Resume, Stop]);
export type BasicAction = z.infer<typeof BasicAction>;

const Repeat = z
  .strictObject({
    type: z.literal('repeat'),
    ...common,
    every: Time.optional(),
    repeat_every_hours: z.number().positive().optional(),
    while: Expr.optional(),
    max_time: Time.optional(),
    max_hours: z.number().nonnegative().optional(),
    actions: z.array(BasicAction),
  })
  .refine((r) => r.every !== undefined || r.repeat_every_hours !== undefined, 'repeat needs `every` (or repeat_every_hours)')
  .refine((r) => (r.every === undefined ? r.repeat_every_hours! : timeToMs(r.every)) > 0, 'repeat `every` must be above 0');
export type Repeat = z.infer<typeof Repeat>;

export type When = {
  type: 'when';
  hours_elapsed?: number;
  t?: Time;
  if?: string | number | boolean;
  condition?: string | number | boolean;
  wait_until?: string | number | boolean;
  actions: Action[];
};
export type Action = BasicAction | Repeat | When;

const When: z.ZodType<When> = z.lazy(() =>
  z
    .strictObject({
      type: z.literal('when'),
      ...common,
      condition: Expr.optional(),
      wait_until: Expr.optional(),
      actions: z.array(ActionSchema),
    })
    .refine((w) => w.condition !== undefined || w.wait_until !== undefined, 'when needs `wait_until` (or condition)'),
);

export const ActionSchema: z.ZodType<Action> = z.lazy(() => z.union([BasicAction, Repeat, When])) as z.ZodType<Action>;

/** Pick the member by `type` so errors name the right keys (a plain union reports every branch). */
const TypedAction = z.unknown().transform((v, ctx): Action => {
  const type = (v as { type?: unknown } | null)?.type;
  const schema =
    type === 'repeat' ? Repeat : type === 'when' ? When : ['log', 'start', 'update', 'pause', 'resume', 'stop'].includes(String(type)) ? BasicAction : null;
  if (!schema) {
    ctx.addIssue({ code: 'custom', message: `unknown action type ${JSON.stringify(type)} (log, start, update, pause, resume, stop, repeat, when)`, path: ['type'] });
    return z.NEVER;
  }
  const r = (schema as z.ZodType<Action>).safeParse(v);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path as PropertyKey[] });
    return z.NEVER;
  }
  return r.data;
});

export const Job = z.strictObject({ actions: z.array(TypedAction).default([]), description: z.string().optional() });
export type Job = z.infer<typeof Job>;

export const Profile = z.strictObject({
  experiment_profile_name: z.string().min(1),
  metadata: z.strictObject({ author: z.string().optional(), description: z.string().optional() }).default({}),
  plugins: z.array(z.strictObject({ name: z.string(), version: z.string() })).default([]),
  inputs: z.record(z.string(), z.unknown()).default({}),
  common: z.strictObject({ jobs: z.record(z.string(), Job).default({}) }).default({ jobs: {} }),
  pioreactors: z.record(z.string(), z.strictObject({ label: z.string().optional(), jobs: z.record(z.string(), Job).default({}) })).default({}),
});
export type Profile = z.infer<typeof Profile>;

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** Parse and validate YAML text; errors name the path (`common.jobs.stirring.actions.1.t: ...`). */
export function parseProfile(text: string): Profile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ProfileError(`invalid YAML: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ProfileError('a profile is a YAML mapping');
  const r = Profile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
    throw new ProfileError(`${i.path.join('.') || '(profile)'}: ${i.message}${more}`);
  }
  return r.data;
}

/** When an action is due, ms after its parent's start. */
export function actionOffsetMs(a: { t?: Time; hours_elapsed?: number }): number {
  if (a.t !== undefined) return timeToMs(a.t);
  if (a.hours_elapsed !== undefined) return a.hours_elapsed * 3_600_000;
  return 0;
}
