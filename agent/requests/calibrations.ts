/**
 * Calibrations and estimators, stored as JSON files under the data dir: `calibrations/<device>/<name>.json`,
 * the active ones in `active_calibrations.json` (`{device: name}`); estimators the same under `estimators/`.
 */
import { z } from 'zod';
import type { CurveCalibration } from '../math/calibration.js';
import { safeName, type Store } from '../store.js';

export type Family = 'calibrations' | 'estimators';
const activeFile = (f: Family) => `active_${f}.json`;

export const CalibrationBody = z.looseObject({
  calibration_name: z.string().min(1).max(128),
  calibration_type: z.string().optional(),
  curve_type: z.string().optional(),
  curve_data_: z.array(z.number().finite()).optional(),
  x: z.string().optional(),
  y: z.string().optional(),
  created_at: z.string().optional(),
});

export class CalibrationStore {
  constructor(
    private readonly store: Store,
    readonly family: Family,
  ) {}

  private nameKey(): string {
    return this.family === 'calibrations' ? 'calibration_name' : 'estimator_name';
  }

  devices(): string[] {
    return this.store.list([this.family]).filter((d) => !d.startsWith('.'));
  }

  list(device?: string): Record<string, unknown[]> | unknown[] {
    const active = this.active();
    const one = (d: string) =>
      this.store
        .list([this.family, d])
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          const body = this.store.readJson<Record<string, unknown>>([this.family, d, f], {});
          return { ...body, device: d, is_active: active[d] === f.slice(0, -5) };
        });
    if (device !== undefined) return one(safeName('device', device));
    return Object.fromEntries(this.devices().map((d) => [d, one(d)]));
  }

  get(device: string, name: string): Record<string, unknown> | null {
    const body = this.store.readJson<Record<string, unknown> | null>([this.family, safeName('device', device), `${safeName('name', name)}.json`], null);
    if (!body) return null;
    return { ...body, device, is_active: this.active()[device] === name };
  }

  create(device: string, body: Record<string, unknown>, setActive = false): { path: string; name: string } {
    const key = this.nameKey();
    const name = safeName('name', String(body[key] ?? body.calibration_name ?? body.name ?? ''));
    const rel = [this.family, safeName('device', device), `${name}.json`];
    this.store.writeJson(rel, { ...body, [key]: name, created_at: body.created_at ?? new Date().toISOString() });
    if (setActive) this.setActive(device, name);
    return { path: this.store.path(...rel), name };
  }

  delete(device: string, name: string): boolean {
    const ok = this.store.remove([this.family, safeName('device', device), `${safeName('name', name)}.json`]);
    if (ok && this.active()[device] === name) this.clearActive(device);
    return ok;
  }

  active(): Record<string, string> {
    return this.store.readJson<Record<string, string>>([activeFile(this.family)], {});
  }

  setActive(device: string, name: string): boolean {
    if (!this.get(device, name)) return false;
    const a = this.active();
    a[device] = name;
    this.store.writeJson([activeFile(this.family)], a);
    return true;
  }

  clearActive(device: string): void {
    const a = this.active();
    delete a[safeName('device', device)];
    this.store.writeJson([activeFile(this.family)], a);
  }
}

/** The active poly calibration of a device, if any. */
export function activeCalibration(store: Store, device: string): CurveCalibration | null {
  const cs = new CalibrationStore(store, 'calibrations');
  const name = cs.active()[device];
  if (!name) return null;
  const c = cs.get(device, name) as CurveCalibration | null;
  if (!c || !Array.isArray(c.curve_data_) || c.curve_data_.length < 1) return null;
  return c;
}
