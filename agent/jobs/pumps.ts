/**
 * Pumps `add_media`, `remove_waste`, `add_alt_media` (reference/pioreactor-control.md §6.1; managed lifecycle per
 * pioreactor-mqtt.md §2.5). Dose by `ml` (through the pump's calibration) or by `duration`. A dosing event is
 * published every 0.5 s (the volume of that slice, before it is pumped), then a final reconciling event (the
 * remainder, or a negative correction when stopped early). The pump stops when `$state/set disconnected` arrives,
 * when its broker connection drops mid-dose, and never runs past duration + margin (a hard timer).
 */
import type { Pwm, PwmFunction } from '../../hardware/interfaces.js';
import type { HardwareBackend } from '../../hardware/interfaces.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics, BROADCAST, UNIVERSAL_EXPERIMENT } from '../../shared/topics.js';
import { activeCalibration } from '../requests/calibrations.js';
import { Job, type JobStartOptions } from '../runtime/job.js';
import type { JobKind } from '../runtime/manager.js';
import type { AgentContext } from '../runtime/context.js';
import { setPwm } from '../runtime/outputs.js';

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
    if (!pwm) throw new Error(`no PWM channel is mapped to ${this.fn} in [PWM]`);
    this.pwm = pwm;
    const ml = this.options.ml === undefined ? null : Number(this.options.ml);
    const duration = this.options.duration === undefined ? null : Number(this.options.duration);
    if ((ml === null) === (duration === null)) throw new Error('give exactly one of ml or duration');
    if ((ml !== null && !(ml >= 0)) || (duration !== null && !(duration >= 0))) throw new Error('ml and duration must be >= 0');
    const curve = pumpCurve(this.ctx, this.fn);
    if (ml !== null && !curve.calibrated && this.fn !== 'waste') throw new Error(`${this.name} needs a pump calibration to dose by ml`);
    await pwm.setFrequency(250);
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (!first) return;
    const curve = pumpCurve(this.ctx, this.fn);
    const ml = this.options.ml !== undefined ? Number(this.options.ml) : Math.max(0, curve.slope * Number(this.options.duration) + curve.bias);
    const duration = this.options.duration !== undefined ? Number(this.options.duration) : Math.max(0, (ml - curve.bias) / curve.slope);
    const source = String(this.options.source_of_event ?? 'user');
    this.result = this.dose(ml, duration, curve, source);
    void this.result.finally(() => void this.stop());
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
    // the hard limit: whatever happens, the pump is off by duration + margin
    this.hardStop = this.after((duration + MARGIN_S) * 1000, () => {
      void this.pwm.off();
      this.abort?.();
    });
    await setPwm(this.ctx, this.experiment, this.pwm, 100);
    let published = 0;
    const tickMl = curve.slope * TICK_S;
    while (!aborted && ml - published > 1e-12) {
      const v = Math.min(tickMl, ml - published);
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
  { name: 'source_of_event', type: 'string' as const, help: 'who asked (e.g. dosing_automation:chemostat)' },
];

export const pumpKinds: JobKind[] = (Object.keys(PUMPS) as PumpJobName[]).map((name) => ({
  name,
  help: `Run the ${PUMPS[name]} pump by volume or duration.`,
  options: pumpOptions,
  create: (ctx, o) => new PumpJob(ctx, o, name),
}));
