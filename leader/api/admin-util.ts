/**
 * Helpers shared by the admin `/api` modules: file names taken from requests (which must never leave their
 * directory), the package root (so built-in YAML folders are found from `dist/` as well as from the sources),
 * the unit lists used by fan-out routes, and the `UNIVERSAL_IDENTIFIER`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUnitName } from '../../shared/ids.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';

export const BROADCAST = '$broadcast';

/**
 * A plain file name: no path separators, no `..`, no NUL or control characters, not absolute, not hidden,
 * at most 255 bytes. Pioreactor's portable-name rule (ASCII letters, digits, `._-` and single spaces).
 */
export function isSafeFileName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 255) return false;
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) return false;
  if (name === '.' || name === '..' || name.startsWith('.') || name.startsWith('-')) return false;
  if (!/^[A-Za-z0-9._ -]+$/.test(name) || name.includes('  ') || name.endsWith(' ')) return false;
  return true;
}

/** `dir/name`, or a 400 when `name` is not a plain file name (checked again after resolving). */
export function fileIn(dir: string, name: string, what = 'filename'): string {
  if (!isSafeFileName(name)) throw new ApiError(400, `Invalid ${what}: ${JSON.stringify(name)}`);
  const root = resolve(dir);
  const p = resolve(root, name);
  if (dirname(p) !== root || !p.startsWith(root + sep)) throw new ApiError(400, `Invalid ${what}: ${JSON.stringify(name)}`);
  return p;
}

let cachedRoot: string | null = null;
/** The directory holding package.json, found by walking up from this module (sources or dist/). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'leader'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
}

/** Built-in descriptor folders: `<package>/leader/descriptors/<sub>`. */
export function builtinDescriptorDir(sub: string): string {
  return join(packageRoot(), 'leader', 'descriptors', sub);
}

/** A unit name from a path, or 400. */
export function unitParam(u: string): string {
  if (u !== BROADCAST && !isUnitName(u)) throw new ApiError(400, `Invalid unit name: ${JSON.stringify(u)}`);
  return u;
}

/** Every row of `workers` (inactive included), newest first (pioreactor-api.md §1.4). */
export function workerList(ctx: LeaderContext): string[] {
  return (ctx.db.prepare('SELECT pioreactor_unit FROM workers ORDER BY added_at DESC, pioreactor_unit').all() as Array<{ pioreactor_unit: string }>).map(
    (r) => r.pioreactor_unit,
  );
}

/** The leader plus every worker. */
export function clusterList(ctx: LeaderContext): string[] {
  const w = workerList(ctx);
  return w.includes(ctx.unitName) ? w : [ctx.unitName, ...w];
}

/** `$broadcast` -> the list; a unit name -> `[unit]`. */
export function targets(ctx: LeaderContext, u: string, scope: 'workers' | 'cluster'): string[] {
  unitParam(u);
  if (u !== BROADCAST) return [u];
  return scope === 'workers' ? workerList(ctx) : clusterList(ctx);
}

/** `{unit: value}` with keys sorted (Pioreactor's multicast GET sorts them). */
export function sortedKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

/** A JSON object body (or `{}` when absent); 400 for anything else. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}
