/**
 * `turbidostat` (reference/pioreactor-control.md §6.4): event-driven on each update of the biomass signal. If the
 * latest value is at or above `target_biomass`, exchange `exchange_volume_ml` and settle for 30 s.
 */
import { z } from 'zod';
import { DosingAutomation, event, num, numRequired, round, type AutomationEvent, type AutomationHost, type AutomationOptions, type DosingAutomationClass } from './base.js';
import type { AutomationDescriptor } from './descriptors.js';

const SIGNALS = ['auto', 'normalized_od', 'od_fused', 'od'] as const;
const settings = z.strictObject({
  target_biomass: numRequired().refine((v) => v > 0, 'must be above 0'),
  exchange_volume_ml: num(1.0).refine((v) => v > 0, 'must be above 0'),
  biomass_signal: z.enum(SIGNALS).default('auto'),
});
const SETTABLE = ['target_biomass', 'exchange_volume_ml', 'biomass_signal'] as const;
export const SETTLE_MS = 30_000;

export class Turbidostat extends DosingAutomation {
  readonly automationName = 'turbidostat';
  private settlingUntil = 0;
  /** Whether the unit has an active OD calibration / a fused estimator (the wire adapter fills these in). */
  calibratedOd = false;
  fusedOd = false;

  protected schedule(): void {}

  /** auto -> od_fused if fused is active, else od if calibrated, else normalized_od. */
  resolvedSignal(): 'normalized_od' | 'od_fused' | 'od' {
    const s = String(this.settings.biomass_signal ?? 'auto');
    if (s === 'normalized_od' || s === 'od_fused' || s === 'od') return s;
    if (this.fusedOd) return 'od_fused';
    if (this.calibratedOd) return 'od';
    return 'normalized_od';
  }

  protected override coerceSetting(key: string, raw: unknown): unknown {
    if (key === 'biomass_signal') {
      const v = String(raw);
      if (!(SIGNALS as readonly string[]).includes(v)) throw new Error(`biomass_signal must be one of ${SIGNALS.join(', ')}`);
      return v;
    }
    return super.coerceSetting(key, raw);
  }

  protected override onInput(signal: string): void {
    if (signal === this.resolvedSignal()) this.triggerFromEvent();
  }

  private latestBiomass(): number {
    const s = this.resolvedSignal();
    if (s === 'normalized_od') return this.latestNormalizedOd;
    if (s === 'od_fused') return this.fresh(this.inputs.odFused, 'od_fused');
    const ch = Object.keys(this.inputs.od).sort()[0];
    return this.fresh(ch === undefined ? undefined : this.inputs.od[ch], 'od');
  }

  protected async execute(): Promise<AutomationEvent | null> {
    if (this.host.clock.now() < this.settlingUntil) return null;
    const latest = this.latestBiomass();
    const target = Number(this.settings.target_biomass);
    if (latest < target) return null;
    const x = Number(this.settings.exchange_volume_ml);
    const moved = await this.executeIoAction([['media', x]], x);
    this.settlingUntil = this.host.clock.now() + SETTLE_MS;
    return event('DilutionEvent', `Latest biomass (${this.resolvedSignal()}) = ${round(latest)} ≥ Target biomass = ${target}; cycled ${round(moved.media_ml)} mL`, {
      latest_biomass: latest,
      target_biomass: target,
      resolved_biomass_signal: this.resolvedSignal(),
      exchange_volume_ml: x,
      volume_actually_moved_ml: moved.media_ml,
    });
  }
}

export const turbidostat: DosingAutomationClass & { descriptor: AutomationDescriptor } = {
  automationName: 'turbidostat',
  settings,
  settable: SETTABLE,
  create: (host: AutomationHost, s: Record<string, unknown>, o: AutomationOptions) => new Turbidostat(host, s, o, SETTABLE),
  descriptor: {
    display_name: 'Turbidostat',
    automation_name: 'turbidostat',
    description: 'Exchange media for waste each time the biomass signal reaches the target.',
    fields: [
      { key: 'target_biomass', default: 1.5, label: 'Target biomass', unit: 'AU', type: 'numeric', disabled: false },
      { key: 'exchange_volume_ml', default: 1.0, label: 'Exchange volume', unit: 'mL', type: 'numeric', disabled: false },
      { key: 'biomass_signal', default: 'auto', label: 'Biomass signal', type: 'select', options: [...SIGNALS], disabled: false },
    ],
  },
};
