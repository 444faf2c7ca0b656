/**
 * Pumps `add_media`, `remove_waste`, `add_alt_media` (reference/pioreactor-control.md §6.1; managed lifecycle per
 * pioreactor-mqtt.md §2.5). Dose by `ml` (through the pump's calibration) or by `duration`. A dosing event is
 * published every 0.5 s (the volume of that slice, before it is pumped), then a final reconciling event (the
 * remainder, or a negative correction when stopped early). The pump stops when `$state/set disconnected` arrives,
 * when its broker connection drops mid-dose, and never runs past duration + margin (a hard timer).
 *
 * Overfill guard (control §6.1/§6.3): `add_media` and `add_alt_media` read the unit's own volume bookkeeping (the
 * monitor's `bioreactor` state for the experiment) and refuse to start (`JobError` `refused`) when the current
 * volume plus the dose would reach the max fill (model: 40 ml -> 36 mL, 20 ml -> 18 mL; `[bioreactor]
 * max_working_volume_ml` can lower it). Before every 0.5 s slice the check is repeated, so a concurrent dose cannot
 * push the vial over either. `continuously` runs the pump until stopped; for inflow it stops on its own before
 * the slice that would reach the max fill. Doses with `source_of_event=pump_calibration` go into a beaker: the
 * monitor does not book them, and they are not checked.
 */
import type { Pwm, PwmFunction } from '../../hardware/interfaces.js';
import type { HardwareBackend } from '../../hardware/interfaces.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics, BROADCAST, UNIVERSAL_EXPERIMENT } from '../../shared/topics.js';
import { maxFillMl } from '../math/bioreactor.js';
import { activeCalibration } from '../requests/calibrations.js';
import { Job, type JobStartOptions } from '../runtime/job.js';
import { JobError, type JobKind } from '../runtime/manager.js';
import type { AgentContext } from '../runtime/context.js';
import { setPwm } from '../runtime/outputs.js';
import { vialState } from './monitor.js';

export const PUMPS = { add_media: 'media', add_alt_media: 'alt_media', remove_waste: 'waste' } as const;
export type PumpJobName = keyof typeof PUMPS;
export const TICK_S = 0.5;
export const MARGIN_S = 2;

/** ml = slope * seconds + bias. */
export interface PumpCurve {
  slope: number;
  bias: number;
  calibrated: boolean;
}

export function pumpCurve(ctx: Pick<AgentContext, 'store' | 'hw'>, fn: 'media' | 'alt_media' | 'waste'): PumpCurve {
  const cal = activeCalibration(ctx.store, `${fn}_pump`);
  if (cal && cal.curve_data_.length === 2) return { slope: cal.curve_data_[0], bias: cal.curve_data_[1], calibrated: true };
  const sim = (ctx.hw as HardwareBackend & { sim?: { pumpRates?: Record<string, number>; vial?: { pumpMlPerS?: Record<string, number> } } }).sim;
  const rate = sim?.pumpRates?.[fn];
  if (ctx.hw.info.backend === 'sim' && rate && rate > 0) return { slope: rate, bias: 0, calibrated: true };
  return { slope: 0.0911, bias: 0, calibrated: false };
}

/** The sequence of published volumes for a dose of `ml` (no interruption): ticks of `slope*0.5`, then the remainder. */
export function plannedEvents(ml: number, curve: PumpCurve): number[] {
  const tickMl = curve.slope * TICK_S;
  const out: number[] = [];
  let published = 0;
  while (ml - published > 1e-12) {
    const v = Math.min(tickMl, ml - published);
    out.push(Math.round(v * 1e12) / 1e12);
    published += v;
  }
  return out;
}

const fmt = (v: number) => String(Math.round(v * 1000) / 1000);

export class PumpJob extends Job {
  readonly fn: 'media' | 'alt_media' | 'waste';
  private pwm!: Pwm;
  private abort: (() => void) | null = null;
  private hardStop: ReturnType<Job['after']> | null = null;
  /** Resolves to the volume moved (the sum of the published events). */
  result: Promise<number> | null = null;

  constructor(
    ctx: AgentContext,
    o: JobStartOptions,
    readonly name: PumpJobName,
  ) {
    super(ctx, o);
    this.fn = PUMPS[name];
  }

  protected override extraSubscriptions(): string[] {
    const e = this.experiment;
    return [
      `pioreactor/${BROADCAST}/${e}/${this.name}/$state/set`,
      `pioreactor/${BROADCAST}/${UNIVERSAL_EXPERIMENT}/${this.name}/$state/set`,
      `pioreactor/${this.unit}/${UNIVERSAL_EXPERIMENT}/${this.name}/$state/set`,
    ];
  }

  protected override onExtraMessage(topic: string, payload: Buffer): void {
    if (topic.endsWith(`/${this.name}/$state/set`) && payload.toString() === 'disconnected') void this.stop();
  }

  protected async onInit(): Promise<void> {
    const pwm = this.ctx.hw.pwmFor(this.fn as PwmFunction);
    if (!pwm) throw new JobError('bad_request', `no PWM channel is mapped to ${this.fn} in [PWM]`);
    this.pwm = pwm;
    const ml = this.options.ml === undefined ? null : Number(this.options.ml);
    const duration = this.options.duration === undefined ? null : Number(this.options.duration);
    const continuously = this.options.continuously === true;
    if ([ml !== null, duration !== null, continuously].filter(Boolean).length !== 1) throw new JobError('bad_request', 'give exactly one of ml, duration or continuously');
    if ((ml !== null && !(ml >= 0)) || (duration !== null && !(duration >= 0))) throw new JobError('bad_request', 'ml and duration must be >= 0');
    const curve = pumpCurve(this.ctx, this.fn);
    if ((ml !== null || continuously) && !curve.calibrated && this.fn !== 'waste')
      throw new JobError('bad_request', `${this.name} needs a pump calibration to ${continuously ? 'run continuously' : 'dose by ml'}`);
    if (this.fillGuarded()) {
      // continuous inflow: refused if even its first slice would reach the max fill
      const dose = continuously ? curve.slope * TICK_S : ml !== null ? ml : Math.max(0, curve.slope * (duration ?? 0) + curve.bias);
      const v = this.currentVolume();
      const limit = this.maxFill();
      if (dose > 0 && v + dose >= limit - 1e-9) {
        throw new JobError(
          'refused',
          `${this.name} refused: ${continuously ? 'running continuously' : `adding ${fmt(dose)} mL`} would take the vial from ${fmt(v)} mL to ` +
            `${fmt(v + dose)} mL, at or over the max fill of ${fmt(limit)} mL (${this.ctx.config.colony.model}). Remove waste first.`,
        );
      }
    }
    await pwm.setFrequency(250);
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (!first) return;
    const curve = pumpCurve(this.ctx, this.fn);
    const source = String(this.options.source_of_event ?? 'user');
    if (this.options.continuously === true) {
      this.result = this.dose(Infinity, Infinity, curve, source);
      void this.result.finally(() => void this.stop());
      return;
    }
    const ml = this.options.ml !== undefined ? Number(this.options.ml) : Math.max(0, curve.slope * Number(this.options.duration) + curve.bias);
    const duration = this.options.duration !== undefined ? Number(this.options.duration) : Math.max(0, (ml - curve.bias) / curve.slope);
    this.result = this.dose(ml, duration, curve, source);
    void this.result.finally(() => void this.stop());
  }

  /** The vial's volume now, from the unit's bookkeeping (kept by the monitor from the dosing events). */
  private currentVolume(): number {
    return vialState(this.ctx, this.experiment).current_volume_ml;
  }

  /** Inflow into the vial is checked against the max fill; pump calibrations pump into a beaker (not booked either). */
  private fillGuarded(): boolean {
    return this.fn !== 'waste' && this.options.source_of_event !== 'pump_calibration';
  }

  private maxFill(): number {
    return maxFillMl(this.ctx.config.colony.model, this.ctx.config.bioreactor.max_working_volume_ml);
  }

  private publishEvent(v: number, source: string): void {
    const body = { volume_change: v, event: this.name, source_of_event: source, timestamp: formatTimestamp(this.ctx.clock.now()) };
    this.ctx.link.emitReading(topics.dosingEvents(this.unit, this.experiment), body, { kind: 'dosing' });
    this.ctx.bus.emit('dosing', this.experiment, body as never);
  }

  private async dose(ml: number, duration: number, curve: PumpCurve, source: string): Promise<number> {
    if (ml <= 0 || duration <= 0) return 0;
    const clock = this.ctx.clock;
    let aborted = false;
    const abortP = new Promise<void>((r) => (this.abort = () => ((aborted = true), r())));
    const t0 = clock.now();
    // the hard limit: whatever happens, the pump is off by duration + margin (continuous runs have none)
    if (Number.isFinite(duration)) {
      this.hardStop = this.after((duration + MARGIN_S) * 1000, () => {
        void this.pwm.off();
        this.abort?.();
      });
    }
    const inflow = this.fillGuarded();
    const limit = this.maxFill();
    await setPwm(this.ctx, this.experiment, this.pwm, 100);
    let published = 0;
    const tickMl = curve.slope * TICK_S;
    while (!aborted && ml - published > 1e-12) {
      const v = Math.min(tickMl, ml - published);
      if (inflow) {
        const vol = this.currentVolume();
        if (vol + v >= limit - 1e-9) {
          if (Number.isFinite(ml)) this.logMsg('ERROR', `Stopped ${this.name} after ${fmt(published)} of ${fmt(ml)} mL: the vial holds ${fmt(vol)} mL and the next ${fmt(v)} mL would reach the max fill of ${fmt(limit)} mL.`);
          else this.logMsg('NOTICE', `Stopped ${this.name} after ${fmt(published)} mL: the vial holds ${fmt(vol)} mL, close to the max fill of ${fmt(limit)} mL.`);
          break;
        }
      }
      this.publishEvent(v, source);
      published += v;
      const sliceMs = (v / curve.slope) * 1000;
      await Promise.race([clock.sleep(sliceMs), abortP]);
    }
    await setPwm(this.ctx, this.experiment, this.pwm, 0);
    this.cancel(this.hardStop);
    if (aborted) {
      const elapsed = Math.min(duration, (clock.now() - t0) / 1000);
      const actual = Math.min(ml, Math.max(0, curve.slope * elapsed + (elapsed > 0 ? curve.bias : 0)));
      const correction = actual - published;
      if (Math.abs(correction) > 1e-12) {
        this.publishEvent(correction, source);
        published += correction;
      }
    }
    return published;
  }

  protected override onConnectionLost(): void {
    if (this.abort) {
      this.ctx.log.warn({ job: this.name }, 'broker connection lost mid-dose: stopping the pump');
      void this.pwm?.off();
      this.abort();
    }
  }

  protected override async onDisconnected(): Promise<void> {
    this.abort?.();
    if (this.pwm) await setPwm(this.ctx, this.experiment, this.pwm, 0).catch(() => undefined);
    if (this.result) await this.result.catch(() => undefined);
  }
}

const pumpOptions = [
  { name: 'ml', type: 'float' as const, help: 'volume to move, mL (needs a calibration, or the sim rates)' },
  { name: 'duration', type: 'float' as const, help: 'seconds to run' },
  { name: 'continuously', type: 'boolean' as const, help: 'run until stopped (inflow stops itself before the max fill; needs a calibration)' },
  { name: 'source_of_event', type: 'string' as const, help: 'who asked (e.g. dosing_automation:chemostat)' },
];

export const pumpKinds: JobKind[] = (Object.keys(PUMPS) as PumpJobName[]).map((name) => ({
  name,
  help: `Run the ${PUMPS[name]} pump by volume or duration.`,
  options: pumpOptions,
  create: (ctx, o) => new PumpJob(ctx, o, name),
}));
