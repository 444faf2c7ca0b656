/**
 * Which dosing automations exist: the built-ins plus plugins discovered at start in `<dataDir>/plugins/`
 * (`*.js`/`*.mjs` files, and packages in `<dataDir>/plugins/node_modules/`), loaded in lexicographic order.
 *
 * Plugin contract (STELLAR module style): the module exports, as `default`, as `automation`, or as a list
 * `automations`, objects of the shape
 *
 *   { name: 'my_auto', kind: 'dosing', settings: <zod object>, settable?: string[], descriptor: {...},
 *     create(host, settings, opts, sdk) => DosingAutomation }
 *
 * `sdk` carries the framework (`DosingAutomation`, `event`, `Pid`, `JobRequiredError`, and zod as `z`), so a
 * plugin needs no import of Colony's files. A module may also export (as `default`) a FUNCTION `(sdk) => object
 * | object[]`: then even its settings schema is built with the sdk's zod, and a single `.mjs` file dropped in
 * the folder needs no node_modules of its own (docs/plugins.md). A module that fails to load or to validate is skipped with a log line naming it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ColonyLogger } from '../../shared/logger.js';
import { DosingAutomation, event, JobRequiredError, Pid, type AutomationHost, type AutomationOptions, type DosingAutomationClass } from './base.js';
import { chemostat } from './chemostat.js';
import { AutomationDescriptor } from './descriptors.js';
import { fedBatch } from './fed_batch.js';
import { pidMorbidostat } from './pid_morbidostat.js';
import { silent } from './silent.js';
import { turbidostat } from './turbidostat.js';

export const sdk = { DosingAutomation, event, Pid, JobRequiredError, z };
export type PluginSdk = typeof sdk;

export interface RegisteredAutomation extends DosingAutomationClass {
  descriptor: AutomationDescriptor;
  /** 'builtin' or the plugin's file/package name. */
  source: string;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

const PluginModule = z.looseObject({
  name: z.string().regex(NAME, 'name must be lower-case letters, digits and _').refine((n) => n !== 'config', '"config" is not allowed as an automation name'),
  kind: z.literal('dosing'),
  create: z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', 'create must be a function'),
  settings: z.custom<z.ZodType>((v) => !!v && typeof (v as { safeParse?: unknown }).safeParse === 'function', 'settings must be a zod schema'),
  settable: z.array(z.string()).optional(),
  descriptor: AutomationDescriptor,
});

export class AutomationRegistry {
  private readonly byName = new Map<string, RegisteredAutomation>();
  readonly errors: Array<{ source: string; error: string }> = [];

  constructor(private readonly log?: ColonyLogger) {
    for (const a of [silent, chemostat, turbidostat, pidMorbidostat, fedBatch]) this.byName.set(a.automationName, { ...a, source: 'builtin' });
  }

  get(name: string): RegisteredAutomation | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** `GET /api/automations/descriptors/dosing`. */
  descriptors(): AutomationDescriptor[] {
    return [...this.byName.values()].map((a) => (a.source === 'builtin' ? a.descriptor : { ...a.descriptor, source: a.source }));
  }

  /** Register one plugin object (validated). Returns an error message or null. */
  register(obj: unknown, source: string): string | null {
    const r = PluginModule.safeParse(obj);
    if (!r.success) return r.error.issues.map((i) => `${i.path.join('.') || '(module)'}: ${i.message}`).join('; ');
    const m = r.data;
    if (m.descriptor.automation_name !== m.name) return `descriptor.automation_name "${m.descriptor.automation_name}" differs from name "${m.name}"`;
    const existing = this.byName.get(m.name);
    if (existing) return `automation "${m.name}" is already provided by ${existing.source}`;
    const create = m.create as (h: AutomationHost, s: Record<string, unknown>, o: AutomationOptions, sdk: PluginSdk) => unknown;
    this.byName.set(m.name, {
      automationName: m.name,
      settings: m.settings as z.ZodType<Record<string, unknown>>,
      settable: m.settable ?? [],
      descriptor: m.descriptor,
      source,
      create: (h, s, o) => {
        const inst = create(h, s, o, sdk);
        if (!(inst instanceof DosingAutomation)) throw new Error(`plugin ${source}: create() must return a DosingAutomation (use sdk.DosingAutomation)`);
        return inst;
      },
    });
    return null;
  }

  /** Discover and import plugins in `dir` (missing dir: nothing to do). */
  async loadPlugins(dir: string): Promise<void> {
    if (!existsSync(dir)) return;
    const root = resolve(dir);
    const entries: Array<{ source: string; path: string }> = [];
    for (const f of readdirSync(root).sort()) {
      if (/\.(m?js)$/.test(f) && statSync(join(root, f)).isFile()) entries.push({ source: f, path: join(root, f) });
    }
    const nm = join(root, 'node_modules');
    if (existsSync(nm)) {
      const pkgs: string[] = [];
      for (const d of readdirSync(nm).sort()) {
        if (d.startsWith('.')) continue;
        if (d.startsWith('@')) for (const s of readdirSync(join(nm, d)).sort()) pkgs.push(`${d}/${s}`);
        else pkgs.push(d);
      }
      for (const p of pkgs) {
        const pj = join(nm, p, 'package.json');
        if (!existsSync(pj)) continue;
        try {
          const meta = JSON.parse(readFileSync(pj, 'utf8')) as { main?: string; exports?: unknown };
          const main = typeof meta.exports === 'string' ? meta.exports : (meta.main ?? 'index.js');
          const full = resolve(nm, p, main);
          if (!full.startsWith(resolve(nm, p) + sep)) throw new Error('entry point leaves the package');
          entries.push({ source: p, path: full });
        } catch (e) {
          this.fail(p, (e as Error).message);
        }
      }
    }
    for (const e of entries) {
      try {
        const mod = (await import(pathToFileURL(e.path).href)) as Record<string, unknown>;
        const exported = typeof mod.default === 'function' ? (mod.default as (s: PluginSdk) => unknown)(sdk) : undefined;
        const list: unknown[] = exported !== undefined ? (Array.isArray(exported) ? exported : [exported]) : Array.isArray(mod.automations) ? mod.automations : [mod.default ?? mod.automation];
        for (const obj of list) {
          const err = this.register(obj, e.source);
          if (err) this.fail(e.source, err);
          else this.log?.info({ plugin: e.source, automation: (obj as { name: string }).name }, 'loaded dosing automation plugin');
        }
      } catch (err) {
        this.fail(e.source, (err as Error).message);
      }
    }
  }

  private fail(source: string, error: string): void {
    this.errors.push({ source, error });
    this.log?.warn({ plugin: source, err: error }, 'skipped a plugin');
  }
}
