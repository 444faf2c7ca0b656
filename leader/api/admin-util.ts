/**
 * Helpers shared by the admin `/api` modules: file names taken from requests (which must never leave their
 * directory), the package root (so built-in YAML folders are found from `dist/` as well as from the sources),
 * the unit lists used by fan-out routes, and the `UNIVERSAL_IDENTIFIER`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../http/errors.js';

// Unit lists, `$broadcast` and body/param checks are the core API's; the admin modules use the same ones.
export { BROADCAST, clusterList, objectBody, sortedKeys, targets, unitParam, workerList } from './core-util.js';

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

