/**
 * The physical model of one vial: growth, optics, heat, motor and pumps.
 *
 * Time: the model keeps its state on a fixed grid (1 s steps from its start) and integrates
 * lazily up to the clock's now whenever it is read or an input changes. Inputs (PWM duties) are
 * piecewise constant; each step uses their time-weighted average over the step, so a 0.3 s pump
 * pulse moves exactly rate*0.3 ml, and the result does not depend on how often anyone polls.
 * Noise is keyed on (channel, time), see random.ts.
 *
 * `speed` multiplies only the biology (growth, lag, death); heat, motor and pumps keep real
 * physics so controllers meet a real plant (ARCHITECTURE.md §4).
 */
import type { Clock } from '../../shared/clock.js';
import type { LedChannel, PwmFunction } from '../interfaces.js';
import type { PdRole } from '../map.js';
import { drawParams, type PumpRates, type SimParams } from './params.js';
import { keyedNormal } from './random.js';

export const SIM_FAULTS = ['heater_unplugged', 'motor_stuck', 'led_dead', 'photodiode_disconnected', 'pump_clogged'] as const;
export type SimFault = (typeof SIM_FAULTS)[number];

export interface SimVialOptions {
  clock: Clock;
  seed: number;
  unit?: string;
  speed?: number;
  /** Vial capacity, ml (40 for the 40 ml model, 20 for the 20 ml). */
  capacityMl?: number;
  initialVolumeMl?: number;
  /** Height of the efflux (waste) tube as a volume: waste cannot draw the vial below it. */
  effluxVolumeMl?: number;
  initialAltMediaFraction?: number;
  /** The LED channel wired to the IR LED. */
  irChannel?: LedChannel;
  /** Role of photodiode channels 1-4 (`[od_config.photodiode_channel]`). */
  photodiodes?: Partial<Record<1 | 2 | 3 | 4, PdRole>>;
  /** Integration step, ms (default 1000). */
  stepMs?: number;
}

/** A snapshot of the vial. */
export interface SimState {
  /** Simulated time of the snapshot (the last grid step), epoch ms. */
  t: number;
  /** Biomass in OD600-like units. */
  biomass: number;
  /** The OD an ideal (linear) photometer would report; equals biomass. */
  od: number;
  /** Limiting substrate, as a fraction of fresh medium. */
  substrate: number;
  liquidC: number;
  plateC: number;
  rpm: number;
  volumeMl: number;
  altMediaFraction: number;
  mediaAddedMl: number;
  altMediaAddedMl: number;
  wasteRemovedMl: number;
  /** Liquid that spilled over the capacity. */
  spilledMl: number;
  overflowed: boolean;
}

type Inputs = Record<PwmFunction, number>;
const ZERO_INPUTS: Inputs = { stirring: 0, media: 0, alt_media: 0, waste: 0, heating: 0 };

/** Noise streams (one per source, so channels are independent). */
const STREAM = { pd: 10, temp: 20, rpm: 30, aux: 40 } as const;

export class SimVial {
  readonly params: SimParams;
  readonly speed: number;
  readonly capacityMl: number;
  readonly effluxVolumeMl: number;
  private readonly clock: Clock;
  private readonly stepMs: number;
  private readonly irChannel: LedChannel;
  private readonly pdRoles: Record<number, PdRole>;
  private readonly faults = new Set<SimFault>();
  private readonly leds: Record<LedChannel, number> = { A: 0, B: 0, C: 0, D: 0 };

  // State on the grid.
  private t: number;
  private x: number;
  private s = 1;
  private q: number;
  private volume: number;
  private altMl: number;
  private plate: number;
  private liquid: number;
  private rpmNow = 0;
  private revs = 0;
  private mediaIn = 0;
  private altIn = 0;
  private wasteOut = 0;
  private spilled = 0;
  private overflow = false;

  // Inputs: those in effect at the grid point, and the changes since.
  private inputsAtGrid: Inputs = { ...ZERO_INPUTS };
  private current: Inputs = { ...ZERO_INPUTS };
  private changes: { t: number; inputs: Inputs }[] = [];

  constructor(o: SimVialOptions) {
    this.clock = o.clock;
    this.params = drawParams(o.seed, o.unit);
    this.speed = o.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError(`sim speed ${this.speed} must be above 0`);
    this.stepMs = o.stepMs ?? 1000;
    this.capacityMl = o.capacityMl ?? 40;
    this.effluxVolumeMl = o.effluxVolumeMl ?? 15;
    this.volume = o.initialVolumeMl ?? 15;
    this.altMl = this.volume * (o.initialAltMediaFraction ?? 0);
    this.irChannel = o.irChannel ?? 'A';
    this.pdRoles = { 1: 'REF', 2: '90', 3: '', 4: '', ...o.photodiodes };
    this.t = o.clock.now();
    const g = this.params.growth;
    this.x = g.initialOd;
    this.q = 1 / Math.expm1(g.muMax * g.lagHours);
    this.plate = this.liquid = this.params.thermal.ambientC;
  }

  /** ml/s of each pump at 100 % duty (the agent's default pump calibration). */
  get pumpRates(): PumpRates {
    return { ...this.params.pumps };
  }

  // ---- faults -----------------------------------------------------------------------------

  injectFault(f: SimFault): void {
    this.sync();
    this.faults.add(f);
  }

  clearFault(f: SimFault): void {
    this.sync();
    this.faults.delete(f);
  }

  activeFaults(): SimFault[] {
    return [...this.faults];
  }

  // ---- inputs -------------------------------------------------------------------------------

  setPwm(fn: PwmFunction, dc: number): void {
    this.sync();
    const v = Math.min(100, Math.max(0, dc));
    if (this.current[fn] === v) return;
    this.current = { ...this.current, [fn]: v };
    this.changes.push({ t: this.clock.now(), inputs: this.current });
  }

  pwm(fn: PwmFunction): number {
    return this.current[fn];
  }

  /** LEDs act on the optics instantly (no integration needed), so they are plain state. */
  setLed(ch: LedChannel, intensity: number): void {
    this.leds[ch] = Math.min(100, Math.max(0, intensity));
  }

  led(ch: LedChannel): number {
    return this.leds[ch];
  }

  // ---- outputs ------------------------------------------------------------------------------

  state(): SimState {
    this.sync();
    return {
      t: this.t,
      biomass: this.x,
      od: this.x,
      substrate: this.s,
      liquidC: this.liquid,
      plateC: this.plate,
      rpm: this.rpmNow,
      volumeMl: this.volume,
      altMediaFraction: this.volume > 0 ? Math.min(1, Math.max(0, this.altMl / this.volume)) : 0,
      mediaAddedMl: this.mediaIn,
      altMediaAddedMl: this.altIn,
      wasteRemovedMl: this.wasteOut,
      spilledMl: this.spilled,
      overflowed: this.overflow,
    };
  }

  /** One sample of photodiode channel 1-4, in volts (before any ADC clipping). */
  readPhotodiode(pdChannel: number): number {
    this.sync();
    const o = this.params.optics;
    const role = this.pdRoles[pdChannel] ?? '';
    if (this.faults.has('photodiode_disconnected') && role !== 'REF') return 0;
    const ir = this.faults.has('led_dead') ? 0 : this.leds[this.irChannel] / 100;
    const now = this.clock.now();
    const n1 = keyedNormal(this.params.seed, STREAM.pd + pdChannel, now);
    const n2 = keyedNormal(this.params.seed, STREAM.pd + 4 + pdChannel, now);
    const scatter = this.x / (1 + this.x / o.saturationOd);
    let light: number;
    switch (role) {
      case 'REF':
        light = ir * o.refGain * (1 + 0.001 * n1);
        return Math.max(0, o.dark + light + 0.0001 * n2);
      case '90':
        light = ir * (o.blank90 + o.sensitivity90 * scatter);
        break;
      case '45':
        light = ir * (o.blank90 + 0.6 * o.sensitivity90 * scatter);
        break;
      case '135':
        light = ir * (o.blank90 + 0.5 * o.sensitivity90 * scatter);
        break;
      case '180':
        light = ir * 2.0 * Math.exp(-0.8 * this.x);
        break;
      default:
        light = 0;
    }
    return Math.max(0, o.dark + light * (1 + o.relNoise * n1) + o.absNoise * n2);
  }

  /** The heating plate's temperature as the TMP1075 reports it (0.0625 C steps). */
  readPlateCelsius(): number {
    this.sync();
    const n = keyedNormal(this.params.seed, STREAM.temp, this.clock.now());
    return Math.round((this.plate + 0.03 * n) / 0.0625) * 0.0625;
  }

  /** The PWM rail, volts: the HAT's 5 V rail (what the pi backend reports after undoing the 0.134 divider). */
  readAuxVolts(): number {
    return 5 + 0.02 * keyedNormal(this.params.seed, STREAM.aux, this.clock.now());
  }

  /** Stir-bar revolutions since the start (fractional). */
  revolutions(): number {
    this.sync();
    return this.revs;
  }

  /**
   * RPM a hall counter would report for a window given the revolution counts at its ends: one
   * pulse per revolution, so fewer than two pulses read 0; timing jitter adds ~0.5 % noise.
   */
  rpmFromRevolutions(rev0: number, rev1: number, windowSeconds: number): number {
    const pulses = Math.floor(rev1) - Math.floor(rev0);
    if (pulses < 2 || windowSeconds <= 0) return 0;
    const rpm = ((rev1 - rev0) * 60) / windowSeconds;
    const n = keyedNormal(this.params.seed, STREAM.rpm, this.clock.now());
    return Math.round(rpm * (1 + 0.005 * n) * 10) / 10;
  }

  // ---- integration --------------------------------------------------------------------------

  /** Integrate up to the clock's now (whole steps only). */
  sync(): void {
    const now = this.clock.now();
    while (this.t + this.stepMs <= now) this.step();
  }

  private step(): void {
    const t0 = this.t;
    const t1 = t0 + this.stepMs;
    // Time-weighted average of the inputs over [t0, t1].
    const avg: Inputs = { ...ZERO_INPUTS };
    let from = t0;
    let inputs = this.inputsAtGrid;
    let used = 0;
    const add = (until: number) => {
      const w = (until - from) / this.stepMs;
      for (const k of Object.keys(avg) as PwmFunction[]) avg[k] += inputs[k] * w;
    };
    for (const c of this.changes) {
      if (c.t > t1) break;
      add(Math.max(from, c.t));
      from = Math.max(from, c.t);
      inputs = c.inputs;
      used++;
    }
    add(t1);
    this.changes.splice(0, used);
    this.inputsAtGrid = inputs;

    const dt = this.stepMs / 1000;
    this.stepGrowth(dt);
    this.stepPumps(avg, dt);
    this.stepHeat(avg.heating, dt);
    this.stepMotor(avg.stirring, dt);
    this.t = t1;
  }

  /**
   * Baranyi lag (q grows at muMax; growth runs at muMax*q/(1+q)) times Monod on the substrate,
   * with death once the substrate runs out. Biological time is `speed` times faster, split into
   * sub-steps of at most one biological minute so high speeds stay accurate.
   */
  private stepGrowth(dt: number): void {
    const g = this.params.growth;
    const bioHours = (dt * this.speed) / 3600;
    const n = Math.max(1, Math.ceil(bioHours * 60));
    const h = bioHours / n;
    for (let i = 0; i < n; i++) {
      const alpha = this.q / (1 + this.q);
      const mu = g.muMax * alpha * (this.s / (g.halfSaturation + this.s));
      const death = g.deathRate * (g.halfSaturation / (g.halfSaturation + this.s));
      const grown = this.x * Math.expm1(mu * h);
      this.s = Math.max(0, this.s - grown / g.capacityOd);
      this.x = (this.x + grown) * Math.exp(-death * h);
      this.q *= Math.exp(g.muMax * h);
      if (this.q > 1e9) this.q = 1e9;
    }
  }

  /** Media and alt-media dilute the culture; waste draws liquid down to the efflux tube only. */
  private stepPumps(avg: Inputs, dt: number): void {
    const clogged = this.faults.has('pump_clogged');
    const r = this.params.pumps;
    const media = clogged ? 0 : (r.media * avg.media * dt) / 100;
    const alt = clogged ? 0 : (r.alt_media * avg.alt_media * dt) / 100;
    const wasteCap = clogged ? 0 : (r.waste * avg.waste * dt) / 100;
    const add = media + alt;
    if (add > 0) {
      const v = this.volume + add;
      this.x *= this.volume / v;
      this.s = (this.s * this.volume + add) / v;
      this.altMl += alt;
      this.volume = v;
      this.mediaIn += media;
      this.altIn += alt;
    }
    const removed = Math.min(wasteCap, Math.max(0, this.volume - this.effluxVolumeMl));
    if (removed > 0) {
      this.altMl -= (this.altMl * removed) / this.volume;
      this.volume -= removed;
      this.wasteOut += removed;
    }
    if (this.volume > this.capacityMl) {
      const spill = this.volume - this.capacityMl;
      this.altMl -= (this.altMl * spill) / this.volume;
      this.volume = this.capacityMl;
      this.spilled += spill;
      this.overflow = true;
    }
  }

  /** Two thermal masses: the heating plate (the TMP1075 sits on it) and the liquid; Newton cooling. */
  private stepHeat(heaterDc: number, dt: number): void {
    const p = this.params.thermal;
    const watts = this.faults.has('heater_unplugged') ? 0 : (p.heaterWatts * heaterDc) / 100;
    const toLiquid = p.plateToLiquid * (this.plate - this.liquid);
    const plateLoss = p.plateToAir * (this.plate - p.ambientC);
    const liquidLoss = p.liquidToAir * (this.liquid - p.ambientC);
    const liquidCap = 4.18 * this.volume + p.vialJPerK;
    this.plate += ((watts - toLiquid - plateLoss) * dt) / p.plateJPerK;
    this.liquid += ((toLiquid - liquidLoss) * dt) / liquidCap;
  }

  /** First-order bar speed with stall and start thresholds. */
  private stepMotor(dc: number, dt: number): void {
    const m = this.params.motor;
    let target: number;
    if (this.faults.has('motor_stuck')) target = 0;
    else if (dc < m.stallDuty || (this.rpmNow < 1 && dc < m.startDuty)) target = 0;
    else target = Math.min(m.maxRpm, m.rpmPerPercent * (dc - m.stallDuty));
    // A jammed bar stops at once (and turns no further during the step).
    const before = this.faults.has('motor_stuck') ? 0 : this.rpmNow;
    this.rpmNow = target + (before - target) * Math.exp(-dt / m.tauSeconds);
    if (this.rpmNow < 0.5 && target === 0) this.rpmNow = 0;
    this.revs += (((before + this.rpmNow) / 2) * dt) / 60;
  }
}
