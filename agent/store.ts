/** Small JSON files under the data dir: per-experiment caches, calibrations, estimators, bioreactor state. */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function safeName(kind: string, s: string): string {
  if (!SAFE.test(s) || s.includes('..')) throw new RangeError(`invalid ${kind} name ${JSON.stringify(s)}`);
  return s;
}

export class Store {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  readJson<T>(rel: string[], fallback: T): T {
    try {
      return JSON.parse(readFileSync(this.path(...rel), 'utf8')) as T;
    } catch {
      return fallback;
    }
  }

  writeJson(rel: string[], value: unknown): void {
    const p = this.path(...rel);
    mkdirSync(join(p, '..'), { recursive: true });
    const tmp = `${p}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 1));
    renameSync(tmp, p);
  }

  remove(rel: string[]): boolean {
    const p = this.path(...rel);
    if (!existsSync(p)) return false;
    rmSync(p);
    return true;
  }

  list(rel: string[]): string[] {
    try {
      return readdirSync(this.path(...rel));
    } catch {
      return [];
    }
  }

  /** A per-experiment key-value cache (`cache/<name>.json`: {experiment: value}). */
  cacheGet<T>(name: string, experiment: string): T | undefined {
    return this.readJson<Record<string, T>>(['cache', `${name}.json`], {})[experiment];
  }

  cacheSet(name: string, experiment: string, value: unknown): void {
    const all = this.readJson<Record<string, unknown>>(['cache', `${name}.json`], {});
    all[experiment] = value;
    this.writeJson(['cache', `${name}.json`], all);
  }
}
