/**
 * UI descriptors as YAML files in folders (pioreactor-api.md §2.3): jobs, automations (per type) and charts.
 * Folders, in order: the built-in ones shipped with the package (`leader/descriptors/<kind>`, found from the
 * package root so `dist/` finds them too), then `<dataDir>/ui/<kind>`, then `<dataDir>/plugins/ui/<kind>`.
 * Within a folder files are read sorted by name; entries are deduplicated by their key (a later file wins
 * but keeps the first position). Invalid files are skipped and logged. Dosing automations are the exception: the
 * leader runs them, so the built-in list is the automation code's own descriptors (plus loaded plugins), which
 * the data-dir files may override.
 */
import type { FastifyPluginAsync } from 'fastify';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { listDosingDescriptors } from '../automations/services.js';
import { builtinDescriptorDir } from './admin-util.js';

export function descriptorDirs(ctx: LeaderContext, kind: string): string[] {
  return [builtinDescriptorDir(kind), join(ctx.dataDir, 'ui', kind), join(ctx.dataDir, 'plugins', 'ui', kind)];
}

/** Read every `*.yaml`/`*.yml` in `dirs`, validate with `schema`, dedupe by `key`. */
export function loadDescriptors<T extends Record<string, unknown>>(
  ctx: LeaderContext,
  dirs: string[],
  schema: z.ZodType<T>,
  key: keyof T & string,
): T[] {
  const out = new Map<string, T>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.')).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      try {
        const r = schema.safeParse(parseYaml(readFileSync(join(dir, f), 'utf8')));
        if (!r.success) {
          ctx.log.warn({ file: join(dir, f), err: r.error.issues[0]?.message }, 'descriptor skipped: invalid');
          continue;
        }
        out.set(String(r.data[key]), r.data);
      } catch (e) {
        ctx.log.warn({ file: join(dir, f), err: (e as Error).message }, 'descriptor skipped: unreadable YAML');
      }
    }
  }
  return [...out.values()];
}

const SETTING = z.looseObject({
  key: z.string(),
  type: z.enum(['numeric', 'boolean', 'string', 'json']),
  display: z.boolean(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  unit: z.string().nullable().optional(),
  label: z.string().optional(),
  editable: z.boolean().default(true),
});
export const JobDescriptor = z.looseObject({
  display_name: z.string(),
  job_name: z.string(),
  display: z.boolean().default(true),
  published_settings: z.array(SETTING).default([]),
  source: z.string().default('app'),
  description: z.string().optional(),
  subtext: z.string().nullable().optional(),
  is_testing: z.boolean().default(false),
});
export const AutomationDescriptor = z.looseObject({
  display_name: z.string(),
  automation_name: z.string(),
  description: z.string().default(''),
  source: z.string().default('app'),
  fields: z
    .array(
      z.looseObject({
        key: z.string(),
        default: z.unknown(),
        label: z.string(),
        disabled: z.boolean().default(false),
        unit: z.string().nullable().optional(),
        type: z.enum(['numeric', 'string', 'select']),
        options: z.array(z.unknown()).optional(),
      }),
    )
    .default([]),
});
export const ChartDescriptor = z.looseObject({
  chart_key: z.string(),
  data_source: z.string(),
  title: z.string(),
  source: z.string().default('app'),
  y_axis_label: z.string(),
  fixed_decimals: z.number().int(),
  down_sample: z.boolean().default(true),
  mqtt_topic: z.union([z.string(), z.array(z.string())]).optional(),
  lookback: z.union([z.number(), z.string()]).default(100000),
  data_source_column: z.string().optional(),
  payload_key: z.string().optional(),
  y_transformation: z.string().default('(y) => y'),
  y_axis_domain: z.array(z.number()).optional(),
  interpolation: z.string().default('stepAfter'),
});

const AUTOMATION_TYPES = ['temperature', 'dosing', 'led'];

export const descriptorRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get('/api/jobs/descriptors', async (_req, reply) =>
    reply.header('Cache-Control', 'public, max-age=5').send(loadDescriptors(ctx, descriptorDirs(ctx, 'jobs'), JobDescriptor, 'job_name')),
  );
  app.get<{ Params: { type: string } }>('/api/automations/descriptors/:type', async (req, reply) => {
    const t = req.params.type;
    if (!AUTOMATION_TYPES.includes(t)) throw new ApiError(400, 'Not a valid automation type');
    if (t !== 'dosing') {
      return reply
        .header('Cache-Control', 'public, max-age=5')
        .send(loadDescriptors(ctx, descriptorDirs(ctx, join('automations', t)), AutomationDescriptor, 'automation_name'));
    }
    // Dosing automations run on the leader, so their descriptors come from the code that validates their settings
    // (built-ins and loaded plugins, docs/plugins/); a YAML file in <dataDir>/ui or <dataDir>/plugins/ui with the
    // same automation_name replaces one in place (labels, defaults), and a new name is added.
    const list: Record<string, unknown>[] = [...listDosingDescriptors(ctx)];
    const dirs = descriptorDirs(ctx, join('automations', t)).slice(1);
    for (const d of loadDescriptors(ctx, dirs, AutomationDescriptor, 'automation_name')) {
      const i = list.findIndex((x) => x.automation_name === d.automation_name);
      if (i >= 0) list[i] = d;
      else list.push(d);
    }
    return reply.header('Cache-Control', 'public, max-age=5').send(list);
  });
  app.get('/api/charts/descriptors', async (_req, reply) =>
    reply.header('Cache-Control', 'public, max-age=5').send(loadDescriptors(ctx, descriptorDirs(ctx, 'charts'), ChartDescriptor, 'chart_key')),
  );
};
