/**
 * Plugins (pioreactor-api.md §2.10): Colony plugins are npm packages installed on the leader under
 * `<dataDir>/plugins` (where the descriptor loaders also look, `<dataDir>/plugins/ui/...`).
 *
 * Install runs exactly `npm install --ignore-scripts --no-audit --no-fund --prefix <dataDir>/plugins <spec>`,
 * spawned with an argument array (never a shell), where `<spec>` is a name that passes npm's package-name
 * rules (`isValidPackageName`), or a `.tgz` file inside `<dataDir>/plugins-upload/` (a tarball made by
 * `npm pack`, uploaded by an admin). Uninstall runs `npm uninstall --ignore-scripts ... <name>`. Installs are
 * serialised. `<dataDir>/DISALLOW_UI_INSTALLS` turns both off (403). Workers have no plugins: their entry in a
 * fan-out result is what their agent lists (`plugins.list`) or null.
 */
import { spawn } from 'node:child_process';
import type { FastifyPluginAsync } from 'fastify';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { isSafeFileName, objectBody, sortedKeys, targets } from './admin-util.js';

const NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const BLOCKED = new Set(['node_modules', 'favicon.ico']);

/**
 * npm's rules for a new package name: 1-214 characters, lower case, URL-safe (letters, digits, `-._`), an
 * optional `@scope/`, not starting with `.`, `_` or `-` (so it can never read as an option), not a Node core
 * module, not `node_modules` or `favicon.ico`, and not ending in `.tgz`/`.tar`/`.tar.gz` (npm would take that
 * as a path relative to its working directory).
 */
export function isValidPackageName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 214) return false;
  if (name.trim() !== name || !NAME.test(name)) return false;
  // npm reads a spec ending like an archive as a local file path, never as a registry name.
  if (/\.(tgz|tar|tar\.gz)$/i.test(name)) return false;
  const base = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  if (base.startsWith('.') || base.startsWith('_') || BLOCKED.has(base)) return false;
  if (builtinModules.includes(name) || builtinModules.includes(`node:${name}`)) return false;
  return encodeURIComponent(base) === base;
}

export const pluginsDir = (ctx: LeaderContext) => join(ctx.dataDir, 'plugins');
export const uploadDir = (ctx: LeaderContext) => join(ctx.dataDir, 'plugins-upload');

/** `spec` for npm: a valid name, or the real path of a `.tgz` inside the upload folder; else 400. */
export function installSpec(ctx: LeaderContext, arg: unknown): string {
  if (typeof arg === 'string' && arg.endsWith('.tgz')) {
    const up = uploadDir(ctx);
    const candidate = arg.includes('/') ? arg : join(up, arg);
    if (existsSync(up) && existsSync(candidate)) {
      const root = realpathSync(up);
      const real = realpathSync(candidate);
      if (dirname(real) === root && real.startsWith(root + sep) && isSafeFileName(real.slice(root.length + 1))) return real;
    }
    throw new ApiError(400, `Invalid plugin tarball: ${JSON.stringify(arg)} (a .tgz file in ${up})`);
  }
  if (isValidPackageName(arg)) return arg;
  throw new ApiError(400, `Invalid plugin name: ${JSON.stringify(arg)} (npm package-name rules)`);
}

export interface NpmResult {
  ok: boolean;
  code: number | null;
  output: string;
}

/** Run npm with an argument array (no shell), capturing its output. */
export function runNpm(args: string[], timeoutMs = 300_000): Promise<NpmResult> {
  return new Promise((resolve) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    let output = '';
    const add = (d: Buffer) => {
      if (output.length < 20_000) output += String(d);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, code: null, output: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, code, output });
    });
  });
}

export interface InstalledPlugin {
  name: string;
  version: string;
  description: string | null;
  homepage: string | null;
  source: string;
  author: string | null;
}

/** Plugins named in `<dataDir>/plugins/package.json`, with their installed package.json fields. */
export function listInstalled(ctx: LeaderContext): InstalledPlugin[] {
  const dir = pluginsDir(ctx);
  let deps: Record<string, string>;
  try {
    deps = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
  } catch {
    return [];
  }
  const out: InstalledPlugin[] = [];
  for (const [name, spec] of Object.entries(deps).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isValidPackageName(name)) continue;
    try {
      const pj = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as Record<string, unknown>;
      const author = pj.author;
      out.push({
        name,
        version: String(pj.version ?? ''),
        description: typeof pj.description === 'string' ? pj.description : null,
        homepage: typeof pj.homepage === 'string' ? pj.homepage : null,
        source: spec,
        author: typeof author === 'string' ? author : author && typeof author === 'object' && 'name' in author ? String((author as { name: unknown }).name) : null,
      });
    } catch {
      continue;
    }
  }
  return out;
}

export const pluginRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  };
  const allowed = (what: string) => {
    if (existsSync(join(ctx.dataDir, 'DISALLOW_UI_INSTALLS'))) throw new ApiError(403, `No UI ${what} allowed.`);
  };
  const argOf = (body: unknown): unknown => {
    const b = objectBody(body);
    const args = b.args;
    if (!Array.isArray(args) || args.length !== 1) throw new ApiError(400, 'args must be a list with exactly one plugin name.');
    const opts = b.options;
    if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) throw new ApiError(400, 'options must be an object.');
    const source = (opts as Record<string, unknown> | undefined)?.source;
    return typeof source === 'string' && source !== '' ? source : args[0];
  };

  /** Leader part of a plugin task: the leader's own result; workers get their agent's answer or null. */
  const fanPlugins = (u: string, leaderWork: () => Promise<unknown>, workerMethod: string | null) => {
    const units = targets(ctx, u, 'cluster');
    return ctx.tasks.start(async () => {
      const out: Record<string, unknown> = {};
      const workers = units.filter((x) => x !== ctx.unitName);
      if (units.includes(ctx.unitName)) out[ctx.unitName] = await leaderWork();
      if (workers.length) Object.assign(out, workerMethod ? await ctx.units.fanOut(workers, workerMethod, {}, 5000) : Object.fromEntries(workers.map((w) => [w, null])));
      return sortedKeys(out);
    });
  };

  app.get<{ Params: { u: string } }>('/api/units/:u/plugins/installed', async (req, reply) =>
    reply.status(202).send(fanPlugins(req.params.u, async () => listInstalled(ctx), 'plugins.list')),
  );

  for (const method of ['post', 'patch'] as const) {
    app[method]<{ Params: { u: string } }>('/api/units/:u/plugins/install', async (req, reply) => {
      allowed('installs');
      const spec = installSpec(ctx, argOf(req.body));
      const ref = fanPlugins(
        req.params.u,
        () =>
          serial(async () => {
            const r = await runNpm(['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', pluginsDir(ctx), spec]);
            if (!r.ok) ctx.log.warn({ spec, code: r.code, output: r.output.slice(-2000) }, 'plugin install failed');
            else ctx.log.info({ spec }, 'plugin installed');
            return r.ok;
          }),
        null,
      );
      return reply.status(202).send(ref);
    });
    app[method]<{ Params: { u: string } }>('/api/units/:u/plugins/uninstall', async (req, reply) => {
      allowed('uninstalls');
      const name = argOf(req.body);
      if (!isValidPackageName(name)) throw new ApiError(400, `Invalid plugin name: ${JSON.stringify(name)} (npm package-name rules)`);
      const ref = fanPlugins(
        req.params.u,
        () =>
          serial(async () => {
            if (!listInstalled(ctx).some((p) => p.name === name)) return false;
            const r = await runNpm(['uninstall', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', pluginsDir(ctx), name]);
            if (!r.ok) ctx.log.warn({ name, code: r.code, output: r.output.slice(-2000) }, 'plugin uninstall failed');
            return r.ok && !existsSync(join(pluginsDir(ctx), 'node_modules', name));
          }),
        null,
      );
      return reply.status(202).send(ref);
    });
  }
};

/** Installed plugin folders, for loaders that scan them (e.g. descriptors under `plugins/ui`). */
export function pluginPackageDirs(ctx: LeaderContext): string[] {
  const nm = join(pluginsDir(ctx), 'node_modules');
  if (!existsSync(nm)) return [];
  return readdirSync(nm).filter((n) => !n.startsWith('.')).map((n) => join(nm, n));
}
