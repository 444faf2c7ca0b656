/**
 * `od_reading` (reference/pioreactor-control.md §2): oversampled photodiode reads with golden-ratio jitter, dark
 * offsets, the trimmed mean with a prior, IR reference normalisation (unity mode by default) with its noise gate,
 * and the `ods` / `od1`..`od4` readings.
 */
import type { LedChannel } from '../../hardware/interfaces.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { Ema, trimmedMeanWithPrior } from '../math/stats.js';
import type { AgentContext } from '../runtime/context.js';
import { Job, type JobStartOptions } from '../runtime/job.js';
import { JobError, type JobKind } from '../runtime/manager.js';
import { publishLeds } from '../runtime/outputs.js';

const GOLDEN = 0.618034;
const frac = (x: number) => x - Math.floor(x);

/** The IR reference noise gate and EMA (§2.4). */
export class RefTracker {
  private baseline: number | null = null;
  power = 1e-6;
  readonly ema: Ema;
  constructor(
    emaAlpha: number,
    private readonly intervalS: number | null,
  ) {
    this.ema = new Ema(emaAlpha);
  }

  get threshold(): number {
    return 0.025 * Math.sqrt((this.intervalS ?? 5) / 5);
  }

  /** Feed one relative REF value; true when stable (and the EMA updated). */
  update(r: number): boolean {
    const base = this.baseline ?? r;
    this.power = 0.05 * (r - base) ** 2 + 0.95 * this.power;
    this.baseline = 0.2 * r + 0.8 * base;
    const std = Math.sqrt(this.power);
    if (std <= this.threshold) {
      this.ema.update(r);
      return true;
    }
    this.baseline = null;
    this.power = 1e-6;
    return false;
  }

  /** OD_raw = V / ref_ema. */
  transform(v: number): number {
    const e = this.ema.hasValue ? this.ema.latest : 1;
    if (e <= 0) throw new RangeError('IR reference EMA is not positive');
    return v / e;
  }
}

/** IR auto-intensity from a tune reading at I0 (§2.2 step 5). */
export function autoIrIntensity(i0: number, vRef: number, vSignal: number): number {
  const iRef = vRef === 0 ? Infinity : (i0 / vRef) * 0.25;
  const iSig = vSignal === 0 ? Infinity : ((i0 / vSignal) * 3.0) / 50;
  return Math.round(Math.max(50, Math.min(85, iSig, iRef)) * 100) / 100;
}

export class OdReading extends Job {
  readonly name = 'od_reading';
  private signals: Array<{ ch: string; angle: string }> = [];
  private refCh: string | null = null;
  private irChannel: LedChannel = 'A';
  private darkOffsets: Record<string, number> = {};
  private priors: Record<string, number> = {};
  private ref: RefTracker | null = null;
  private refInitial: number | null = null;
  private readonly voltsEma = new Ema(0.05);
  private timer: ReturnType<Job['every']> | null = null;
  private reading = false;
  private first = true;

  constructor(ctx: AgentContext, o: JobStartOptions) {
    super(ctx, o);
  }

  private get cfg() {
    return this.ctx.config['od_reading.config'];
  }

  get intervalS(): number {
    return Number(this.getValue('interval'));
  }

  protected async onInit(): Promise<void> {
    const pd = this.ctx.config['od_config.photodiode_channel'];
    for (const ch of ['1', '2', '3', '4'] as const) {
      const v = pd[ch];
      if (v === 'REF') this.refCh = ch;
      else if (v) this.signals.push({ ch, angle: v });
    }
    if (this.signals.length === 0) throw new JobError('bad_request', 'no photodiode channel has an angle in [od_config.photodiode_channel]');
    const leds = this.ctx.config.leds;
    for (const c of ['a', 'b', 'c', 'd'] as const) if (leds[c] === 'IR') this.irChannel = c.toUpperCase() as LedChannel;
    const interval = Number(this.options.interval ?? 1 / this.cfg.samples_per_second);
    const irOpt = this.options.ir_led_intensity ?? this.cfg.ir_led_intensity;
    if (!(interval > 0)) throw new JobError('bad_request', `interval must be a positive number of seconds, got ${this.options.interval}`);
    if (irOpt !== 'auto' && !(Number(irOpt) >= 0 && Number(irOpt) <= 100)) throw new JobError('bad_request', `ir_led_intensity must be "auto" or 0-100 %, got ${JSON.stringify(irOpt)}`);
    this.declare('first_od_obs_time', { datatype: 'float', settable: false });
    this.declare('interval', { datatype: 'float', settable: true, unit: 's', set: (v) => this.setInterval(Number(v)) }, interval);
    this.declare('ir_led_intensity', {
      datatype: 'float',
      settable: true,
      unit: '%',
      set: (v) => this.setValue('ir_led_intensity', Math.min(100, Math.max(0, Number(v)))),
    });
    this.declare('relative_intensity_of_ir_led', { datatype: 'json', settable: false, reading: true });
    this.declare('ods', { datatype: 'ODReadings', settable: false, reading: true });
    for (const s of this.signals) this.declare(`od${s.ch}`, { datatype: 'ODReading', settable: false, reading: true });

    // 1-2. everything dark: dark offsets
    const before = this.ctx.hw.leds.all();
    for (const c of Object.keys(before) as LedChannel[]) await this.ctx.hw.leds.set(c, 0);
    const dark = await this.sampleAll(null);
    for (const [ch, v] of Object.entries(dark)) this.darkOffsets[ch] = v;
    // auto intensity from a tune reading at 85 %
    let ir = irOpt === 'auto' ? NaN : Number(irOpt);
    if (!Number.isFinite(ir)) {
      await this.ctx.hw.leds.set(this.irChannel, 85);
      await this.sleep(125);
      const tune = await this.sampleAll(null);
      await this.ctx.hw.leds.set(this.irChannel, 0);
      ir = this.refCh && this.signals.length === 1 ? autoIrIntensity(85, tune[this.refCh], tune[this.signals[0].ch]) : 85;
    }
    if (ir > 90) this.logMsg('WARNING', `ir_led_intensity ${ir}% is above 90%.`);
    this.setValue('ir_led_intensity', ir);
    for (const [c, v] of Object.entries(before) as Array<[LedChannel, number]>) await this.ctx.hw.leds.set(c, v);
    if (this.refCh) {
      this.ref = new RefTracker(this.cfg.pd_reference_ema, interval);
      if (this.cfg.ref_normalization === 'unity') {
        this.refInitial = this.ctx.store.cacheGet<number>('ir_led_reference_normalization', this.experiment) ?? null;
      }
    }
  }

  private setInterval(s: number): void {
    if (!(s > 0)) throw new RangeError('interval must be positive');
    this.setValue('interval', s);
    this.schedule();
  }

  protected override async onReady(): Promise<void> {
    this.schedule();
  }

  protected override async onSleeping(): Promise<void> {
    this.cancel(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.cancel(this.timer);
    if (this.state !== 'ready') return;
    this.timer = this.every(this.intervalS * 1000, () => this.readOnce());
    void this.readOnce();
  }

  /** One sweep set: N samples per channel with jittered spacing; returns the per-channel estimate in volts. */
  private async sampleAll(lambda: number | null): Promise<Record<string, number>> {
    const n = Math.max(3, this.cfg.oversampling_count);
    const chans = [...this.signals.map((s) => s.ch), ...(this.refCh ? [this.refCh] : [])];
    const samples: Record<string, number[]> = Object.fromEntries(chans.map((c) => [c, []]));
    for (let k = 0; k < n; k++) {
      const t0 = this.ctx.clock.now();
      for (const c of chans) {
        const v = await this.ctx.hw.adc.readVolts(Number(c));
        samples[c].push(Math.max(0, v - (this.darkOffsets[c] ?? 0)));
      }
      const wait = (0.85 / (n - 1)) * frac(k * GOLDEN) * 1000 - (this.ctx.clock.now() - t0);
      if (wait > 0 && k < n - 1) await this.ctx.clock.sleep(wait);
    }
    const out: Record<string, number> = {};
    for (const c of chans) {
      const prior = lambda === null ? null : (this.priors[c] ?? null);
      const est = trimmedMeanWithPrior(samples[c], prior, lambda ?? 0);
      out[c] = Math.max(0, Math.round(est * 1e10) / 1e10);
    }
    return out;
  }

  async readOnce(): Promise<void> {
    if (this.reading || this.state !== 'ready') return;
    this.reading = true;
    try {
      const leds = this.ctx.hw.leds;
      const before = leds.all();
      const ir = Number(this.getValue('ir_led_intensity'));
      await leds.set(this.irChannel, ir);
      if (this.cfg.turn_off_leds_during_reading) {
        for (const c of Object.keys(before) as LedChannel[]) if (c !== this.irChannel && before[c] !== 0) await leds.set(c, 0);
      }
      if (!(await this.sleep(this.cfg.duration_between_led_off_and_od_reading * 1000))) return;
      const n = Math.max(3, this.cfg.oversampling_count);
      const penalizer = this.cfg.smoothing_penalizer / this.intervalS;
      const volts = await this.sampleAll(penalizer * n);
      for (const [c, v] of Object.entries(before) as Array<[LedChannel, number]>) if (leds.get(c) !== v) await leds.set(c, v);
      if (this.isStopping) return;
      for (const [c, v] of Object.entries(volts)) this.priors[c] = v;
      this.safety(Math.max(...Object.values(volts)));
      if (this.isStopping) return;
      const now = this.ctx.clock.now();
      const ts = formatTimestamp(now);
      let transform = (v: number) => v;
      if (this.ref && this.refCh) {
        const vRef = volts[this.refCh];
        let r = vRef;
        if (this.cfg.ref_normalization === 'unity') {
          if (this.refInitial === null && vRef > 0) {
            this.refInitial = vRef;
            this.ctx.store.cacheSet('ir_led_reference_normalization', this.experiment, vRef);
          }
          r = vRef / (this.refInitial ?? 1);
        }
        if (!this.ref.update(r)) {
          this.logMsg('WARNING', 'The IR reference is noisy; pausing dosing.');
          this.rawPublish(`pioreactor/${this.unit}/${this.experiment}/dosing_automation/$state/set`, 'sleeping', 1, false);
        }
        const ref = this.ref;
        transform = (v) => ref.transform(v);
        if (Math.random() < 0.2) {
          this.setValue('relative_intensity_of_ir_led', { relative_intensity_of_ir_led: 1 / transform(1), timestamp: ts });
        }
      }
      const ods: Record<string, unknown> = {};
      for (const s of this.signals) {
        ods[s.ch] = { calibrated: 0, timestamp: ts, angle: s.angle, od: Math.max(0, transform(volts[s.ch])), channel: s.ch, ir_led_intensity: ir };
      }
      if (this.first) {
        this.first = false;
        this.setValue('first_od_obs_time', now / 1000);
      }
      const payload = { timestamp: ts, ods };
      this.setValue('ods', payload);
      for (const s of this.signals) this.setValue(`od${s.ch}`, ods[s.ch]);
      this.ctx.bus.emit('ods', this.experiment, payload as never);
    } finally {
      this.reading = false;
    }
  }

  private safety(v: number): void {
    const m = this.voltsEma.update(v);
    if (m > 3.2) {
      this.logMsg('ERROR', `ADC input is too high (${m.toFixed(3)} V); turning the LEDs off and stopping.`);
      void this.stop();
    } else if (m > 3.0) {
      this.logMsg('WARNING', `ADC input is close to its limit (${m.toFixed(3)} V).`);
    }
  }

  protected override async onDisconnected(): Promise<void> {
    try {
      await this.ctx.hw.leds.set(this.irChannel, 0);
      publishLeds(this.ctx, this.experiment);
    } catch {
      /* never throw from clean-up */
    }
  }
}

export const odReadingKind: JobKind = {
  name: 'od_reading',
  help: 'Optical density from the photodiodes, normalised by the IR reference.',
  options: [
    { name: 'interval', type: 'float', help: 'seconds between readings (default 1/samples_per_second)' },
    { name: 'ir_led_intensity', type: 'string', help: 'IR LED intensity in %, or auto' },
  ],
  create: (ctx, o) => new OdReading(ctx, o),
};
