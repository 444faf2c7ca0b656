/**
 * The dosing automation framework (reference/pioreactor-control.md §6.3 and §9), free of MQTT: an automation
 * talks to the world through an `AutomationHost` (clock, pump executor, publish, log). The wire adapter
 * (wire.ts) gives it an MQTT identity; tests give it the simulated vial directly.
 *
 * - State: init -> ready <-> sleeping -> disconnected (terminal). Pausing stops the unit's pumps.
 * - `executeIoAction` splits doses above `max_subdose` recursively in halves, checks every add against the
 *   vial's max fill (error + sleeping, nothing pumped past it), pumps in argument order and WAITS for each
 *   pump's confirmation, then removes waste and an extra `waste x waste_removal_multiplier` (not counted).
 *   A pump step that is not confirmed pauses the automation and logs an error.
 * - The vial mirror (volume, alt-media fraction, efflux level) follows the unit's retained `bioreactor/*`
 *   values and, between them, the same update rules applied to each confirmed dose (§6.2).
 * - Scheduling: periodic (`runEvery`, fixed phase, pausing skips runs) or event-driven (`triggerFromEvent`,
 *   non-overlapping, one queued follow-up).
 */
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../shared/clock.js';

export type PumpName = 'media' | 'alt_media' | 'waste';
export const PUMP_JOB: Record<PumpName, 'add_media' | 'add_alt_media' | 'remove_waste'> = {
  media: 'add_media',
  alt_media: 'add_alt_media',
  waste: 'remove_waste',
};

export interface DoseRequest {
  pump: PumpName;
  ml: number;
  sourceOfEvent: string;
}

/** Moves liquid and resolves with the volume actually moved once the pump has finished; rejects if unconfirmed. */
export interface PumpExecutor {
  dose(req: DoseRequest): Promise<number>;
}

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error';

export interface AutomationHost {
  clock: Clock;
  pumps: PumpExecutor;
  /** Publish a setting of the job (retained). */
  publish(setting: string, value: unknown): void;
  log(level: LogLevel, message: string): void;
  /** Abort running pumps (publish `disconnected` to the pump jobs). */
  stopPumps?(): void;
  /** The automation ran a cycle at this time (persisted, so a restart keeps the timer's phase). */
  onRun?(atMs: number): void;
  onState?(state: JobState): void;
  /** A settable setting changed (the `<job>_settings` record). */
  onSettings?(settings: Record<string, unknown>): void;
  onEvent?(event: AutomationEvent): void;
}

export type JobState = 'init' | 'ready' | 'sleeping' | 'disconnected' | 'lost';

export interface AutomationEvent {
  event_name: string;
  message: string | null;
  data: Record<string, unknown> | null;
}

export const event = (event_name: string, message: string | null = null, data: Record<string, unknown> | null = null): AutomationEvent => ({
  event_name,
  message,
  data,
});

/** A required input (od, growth rate) is missing or stale: a warning and `ErrorOccurred`, not an error. */
export class JobRequiredError extends Error {}

export interface DosingLimits {
  /** `[dosing_automation.config] max_subdose`. */
  maxSubdoseMl: number;
  wasteRemovalMultiplier: number;
  pauseBetweenSubdosesS: number;
  /** The model's max fill (40 ml model: 36 ml; 20 ml: 18 ml). */
  maxFillMl: number;
}

export const DEFAULT_LIMITS: DosingLimits = { maxSubdoseMl: 1.0, wasteRemovalMultiplier: 2.0, pauseBetweenSubdosesS: 5, maxFillMl: 36 };

export function maxFillFor(model: string | null | undefined): number {
  return model && model.includes('20ml') ? 18 : 36;
}

export interface VialState {
  current_volume_ml: number;
  alt_media_fraction: number;
  efflux_tube_volume_ml: number;
}

/** §6.2 update rules for one dosing event (`v` may be negative), on the pre-event volume. */
export function applyDose(s: VialState, ev: 'add_media' | 'add_alt_media' | 'remove_waste', v: number): VialState {
  const V = s.current_volume_ml;
  let f = s.alt_media_fraction;
  let nv: number;
  if (ev === 'remove_waste') {
    nv = V <= s.efflux_tube_volume_ml ? V : Math.max(V - v, s.efflux_tube_volume_ml, 0);
  } else {
    nv = Math.max(V + v, 0);
    const den = V + v;
    if (den > 0) f = ev === 'add_media' ? (f * V) / den : (f * V + v) / den;
    if (Math.abs(f) < 1e-12) f = 0;
    if (Math.abs(f - 1) < 1e-12) f = 1;
    f = Math.min(1, Math.max(0, f));
  }
  return { ...s, current_volume_ml: nv, alt_media_fraction: f };
}

/** Shared PID (§5.1): integral clamped by the output limits, derivative on measurement. */
export class Pid {
  private integral = 0;
  private lastInput: number | null = null;
  constructor(
    private readonly kp: number,
    private readonly ki: number,
    private readonly kd: number,
    public setpoint: number,
    private readonly limits: [number, number],
  ) {}
  update(input: number, dt: number): number {
    const [lo, hi] = this.limits;
    const e = this.setpoint - input;
    this.integral = Math.min(hi, Math.max(lo, this.integral + e * dt));
    const d = this.lastInput === null ? 0 : -(input - this.lastInput) / dt;
    this.lastInput = input;
    return Math.min(hi, Math.max(lo, this.kp * e + this.ki * this.integral + this.kd * d));
  }
}

export interface SettingInfo {
  key: string;
  settable: boolean;
  unit?: string;
}

/** What a concrete automation (built-in or plugin) declares. */
export interface DosingAutomationClass<S extends Record<string, unknown> = Record<string, unknown>> {
  automationName: string;
  /** zod object: settings with defaults; values arrive as strings from MQTT/CLI, so coerce. */
  settings: z.ZodType<S>;
  settable: readonly string[];
  create(host: AutomationHost, settings: S, opts: AutomationOptions): DosingAutomation;
}

export interface AutomationOptions {
  unit: string;
  experiment: string;
  limits?: Partial<DosingLimits>;
  vial?: Partial<VialState>;
  /** Last cycle (restart): the periodic timer keeps its phase and never runs a confirmed cycle again. */
  lastRunAt?: number | null;
  /** Config sections (e.g. `[dosing_automation.pid_morbidostat]`). */
  config?: Record<string, Record<string, unknown>>;
}

type Moved = { media_ml: number; alt_media_ml: number; waste_ml: number } & Record<string, number>;

const STALE_MS = 5 * 60 * 1000;

export abstract class DosingAutomation {
  abstract readonly automationName: string;
  state: JobState = 'init';
  readonly unit: string;
  readonly experiment: string;
  readonly limits: DosingLimits;
  vial: VialState;
  settings: Record<string, unknown>;
  latestEvent: AutomationEvent | null = null;
  /** Latest inputs with their timestamps (ms). */
  readonly inputs: {
    normalizedOd?: { v: number; t: number };
    growthRate?: { v: number; t: number };
    odFused?: { v: number; t: number };
    od: Record<string, { v: number; t: number }>;
  } = { od: {} };
  previousNormalizedOd: number | null = null;
  previousGrowthRate: number | null = null;
  lastRunAt: number | null;
  /** Seconds spent executing (for tests and logs). */
  cycles = 0;

  private timer: TimerHandle | null = null;
  private periodMs: number | null = null;
  private running = false;
  private queued = false;
  private stateWaiters: Array<() => void> = [];
  private warnedAt = 0;

  constructor(
    protected readonly host: AutomationHost,
    settings: Record<string, unknown>,
    protected readonly opts: AutomationOptions,
    protected readonly settable: readonly string[],
  ) {
    this.unit = opts.unit;
    this.experiment = opts.experiment;
    this.limits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
    this.vial = { current_volume_ml: 14, alt_media_fraction: 0, efflux_tube_volume_ml: 14, ...(opts.vial ?? {}) };
    this.settings = { ...settings };
    this.lastRunAt = opts.lastRunAt ?? null;
  }

  get sourceOfEvent(): string {
    return `dosing_automation:${this.automationName}`;
  }

  /** One cycle's decision. Return an event, or null. */
  protected abstract execute(): Promise<AutomationEvent | null>;

  /** Hook: schedule timers (periodic) or nothing (event-driven). */
  protected abstract schedule(): void;

  // ---- lifecycle -------------------------------------------------------------------------------

  start(): void {
    this.host.publish('automation_name', this.automationName);
    for (const [k, v] of Object.entries(this.settings)) this.host.publish(k, v);
    this.onStart();
    this.setState('ready');
    this.checkVolume();
    this.schedule();
    this.host.onSettings?.(this.settableValues());
  }

  /** Hook: warnings at start (fed-batch). */
  protected onStart(): void {}

  setState(s: JobState): void {
    if (s === this.state) return;
    if (this.state === 'disconnected') return; // terminal
    const prev = this.state;
    this.state = s;
    if (s === 'sleeping' || s === 'disconnected') this.host.stopPumps?.();
    if (s === 'disconnected') this.clearTimer();
    this.host.publish('$state', s);
    this.host.onState?.(s);
    if (prev !== 'init' && (s === 'ready' || s === 'sleeping')) this.host.onSettings?.(this.settableValues());
    const w = this.stateWaiters;
    this.stateWaiters = [];
    for (const f of w) f();
  }

  stop(): void {
    this.setState('disconnected');
  }

  settableValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.settable) out[k] = this.settings[k];
    out.state = this.state;
    return out;
  }

  /** `/set` of a setting: validated by the automation's schema; unknown or read-only keys are refused. */
  setSetting(key: string, raw: unknown): void {
    if (!this.settable.includes(key)) throw new Error(`${this.automationName}: ${key} is not a settable setting`);
    const value = this.coerceSetting(key, raw);
    this.settings[key] = value;
    this.host.publish(key, value);
    this.onSettingChanged(key);
    this.host.onSettings?.(this.settableValues());
  }

  protected coerceSetting(key: string, raw: unknown): unknown {
    const cur = this.settings[key];
    if (typeof cur === 'number' || cur === null) {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n) || String(raw).trim() === '') throw new Error(`${key} must be a number`);
      return n;
    }
    if (typeof cur === 'boolean') return raw === true || /^(1|true)$/i.test(String(raw));
    return String(raw);
  }

  protected onSettingChanged(key: string): void {
    if (key === 'duration' && this.periodMs !== null) this.runEvery(Number(this.settings.duration), true, 0, true);
  }

  // ---- inputs -------------------------------------------------------------------------------

  feedNormalizedOd(v: number, t = this.host.clock.now()): void {
    if (this.inputs.normalizedOd) this.previousNormalizedOd = this.inputs.normalizedOd.v;
    this.inputs.normalizedOd = { v, t };
    this.onInput('normalized_od');
  }
  feedGrowthRate(v: number, t = this.host.clock.now()): void {
    if (this.inputs.growthRate) this.previousGrowthRate = this.inputs.growthRate.v;
    this.inputs.growthRate = { v, t };
    this.onInput('growth_rate');
  }
  feedOd(channel: string, v: number, t = this.host.clock.now()): void {
    this.inputs.od[channel] = { v, t };
    this.onInput('od');
  }
  feedOdFused(v: number, t = this.host.clock.now()): void {
    this.inputs.odFused = { v, t };
    this.onInput('od_fused');
  }
  /** A retained `bioreactor/<variable>` value from the unit's monitor. */
  feedBioreactor(variable: string, v: number): void {
    if (variable === 'current_volume_ml' || variable === 'alt_media_fraction' || variable === 'efflux_tube_volume_ml') {
      this.vial = { ...this.vial, [variable]: v };
      if (variable === 'current_volume_ml') this.checkVolume();
    }
  }

  /** Hook for event-driven automations. */
  protected onInput(_signal: string): void {}

  protected fresh(x: { v: number; t: number } | undefined, what: string): number {
    if (!x) throw new JobRequiredError(`no ${what} yet: are od_reading and growth_rate_calculating running?`);
    if (this.host.clock.now() - x.t > STALE_MS) throw new JobRequiredError(`${what} is older than 5 minutes`);
    return x.v;
  }
  get latestNormalizedOd(): number {
    return this.fresh(this.inputs.normalizedOd, 'normalized OD (od_filtered)');
  }
  get latestGrowthRate(): number {
    return this.fresh(this.inputs.growthRate, 'growth rate');
  }

  private checkVolume(): void {
    const V = this.vial.current_volume_ml;
    if (V >= this.limits.maxFillMl) {
      if (this.state === 'ready') {
        this.host.log('error', `current volume ${V} mL is at or above the max fill ${this.limits.maxFillMl} mL: pausing`);
        this.setState('sleeping');
      }
    } else if (V >= 0.95 * this.limits.maxFillMl) {
      const now = this.host.clock.now();
      if (now - this.warnedAt >= 10_000) {
        this.warnedAt = now;
        this.host.log('warning', `current volume ${V} mL is close to the max fill ${this.limits.maxFillMl} mL`);
      }
    }
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /** Periodic at fixed phase (§9a). `fromLastRun`: reschedule relative to the last run (set_duration). */
  protected runEvery(minutes: number, skipFirstRun: boolean, runAfterSeconds: number, fromLastRun = false): void {
    this.clearTimer();
    if (!(minutes > 0)) return;
    const period = minutes * 60_000;
    this.periodMs = period;
    const now = this.host.clock.now();
    let due: number;
    if (this.lastRunAt !== null) {
      // restart or set_duration: never run a confirmed cycle again; keep the phase of the last run
      due = this.lastRunAt + period;
      if (due < now) due = fromLastRun ? now : now + runAfterSeconds * 1000;
    } else due = now + (skipFirstRun ? period : runAfterSeconds * 1000);
    const arm = (at: number) => {
      this.timer = this.host.clock.setTimeout(() => {
        const next = at + period;
        arm(next);
        void this.runOnce();
      }, Math.max(0, at - this.host.clock.now()));
    };
    arm(due);
  }

  /** Event-triggered (§9b): non-overlapping; an update during a run queues exactly one follow-up. */
  protected triggerFromEvent(): void {
    if (this.running) {
      this.queued = true;
      return;
    }
    void this.runOnce().then(() => {
      if (this.queued) {
        this.queued = false;
        this.triggerFromEvent();
      }
    });
  }

  private clearTimer(): void {
    this.host.clock.clear(this.timer);
    this.timer = null;
  }

  /** Run one cycle now (non-overlapping); skipped unless READY. */
  async runOnce(): Promise<AutomationEvent | null> {
    if (this.running || this.state !== 'ready') return null;
    this.running = true;
    const at = this.host.clock.now();
    let ev: AutomationEvent | null;
    try {
      ev = await this.execute();
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (e instanceof JobRequiredError) this.host.log('warning', msg);
      else this.host.log('error', msg);
      ev = event('ErrorOccurred', msg);
    } finally {
      this.running = false;
      this.cycles++;
    }
    this.lastRunAt = at;
    this.host.onRun?.(at);
    if (ev) this.emit(ev);
    return ev;
  }

  protected emit(ev: AutomationEvent): void {
    this.latestEvent = ev;
    this.host.publish('latest_event', ev);
    this.host.onEvent?.(ev);
    if (ev.event_name !== 'DosingStarted' && ev.event_name !== 'DosingStopped') this.host.log('info', `${ev.event_name}: ${ev.message ?? ''}`);
  }

  // ---- dosing -------------------------------------------------------------------------------

  /** Resolves true when READY, false when the job stops (waits while SLEEPING). */
  private async waitReady(): Promise<boolean> {
    while (this.state === 'sleeping' || this.state === 'init') await new Promise<void>((r) => this.stateWaiters.push(r));
    return this.state === 'ready';
  }

  /**
   * `execute_io_action`: adds in the order given (`[['alt_media', a], ['media', m]]`), then waste. Returns the
   * moved volumes. Stops (and pauses the automation) on a would-be overflow or an unconfirmed pump.
   */
  async executeIoAction(adds: Array<[PumpName, number]>, wasteMl: number): Promise<Moved> {
    const totalAdd = adds.reduce((s, [, v]) => s + v, 0);
    if (wasteMl < totalAdd - 1e-9) throw new Error(`waste (${wasteMl} mL) must be at least the volume added (${totalAdd} mL)`);
    const data: Record<string, number> = { waste_ml: wasteMl };
    for (const [p, v] of adds) data[`${p}_ml`] = v;
    this.emit(event('DosingStarted', null, data));
    const moved = await this.io(adds, wasteMl);
    this.emit(event('DosingStopped', null, { ...moved }));
    return moved;
  }

  private blocked = false;

  private async io(adds: Array<[PumpName, number]>, wasteMl: number): Promise<Moved> {
    const out: Moved = { media_ml: 0, alt_media_ml: 0, waste_ml: 0 };
    for (const [p] of adds) out[`${p}_ml`] = 0;
    this.blocked = false;
    const totalAdd = adds.reduce((s, [, v]) => s + v, 0);
    if (totalAdd > this.limits.maxSubdoseMl) {
      const half = adds.map(([p, v]) => [p, v / 2] as [PumpName, number]);
      for (let i = 0; i < 2; i++) {
        const r = await this.io(half, wasteMl / 2);
        for (const k of Object.keys(r)) out[k] = (out[k] ?? 0) + r[k];
        if (this.blocked) break;
      }
      return out;
    }
    let vProj = this.vial.current_volume_ml;
    for (const [p, ml] of adds) {
      if (!(await this.waitReady())) return out;
      if (ml <= 0) continue;
      if (vProj + ml >= this.limits.maxFillMl) {
        this.host.log('error', `adding ${ml} mL of ${p} would take the vial to ${round(vProj + ml)} mL, at or above the max fill ${this.limits.maxFillMl} mL: pausing`);
        this.blocked = true;
        this.setState('sleeping');
        return out;
      }
      const v = await this.pump(p, ml);
      if (v === null) return out;
      out[`${p}_ml`] += v;
      vProj += v;
      await this.host.clock.sleep(this.limits.pauseBetweenSubdosesS * 1000);
    }
    if (wasteMl > 0) {
      if (!(await this.waitReady())) return out;
      const w = await this.pump('waste', wasteMl);
      if (w === null) return out;
      out.waste_ml += w;
      if (w < wasteMl - 1e-6) this.host.log('warning', `waste under-removed: ${round(w)} of ${round(wasteMl)} mL`);
      await this.host.clock.sleep(50);
      if (!(await this.waitReady())) return out;
      const extra = await this.pump('waste', wasteMl * this.limits.wasteRemovalMultiplier);
      if (extra === null) return out;
    }
    return out;
  }

  /** One confirmed pump step, or null (error logged, automation paused). */
  private async pump(p: PumpName, ml: number): Promise<number | null> {
    try {
      const v = await this.host.pumps.dose({ pump: p, ml, sourceOfEvent: this.sourceOfEvent });
      this.vial = applyDose(this.vial, PUMP_JOB[p], v);
      return v;
    } catch (e) {
      this.blocked = true;
      this.host.log('error', `${PUMP_JOB[p]} of ${round(ml)} mL was not confirmed (${(e as Error).message}): pausing the automation`);
      this.setState('sleeping');
      return null;
    }
  }

  /** A single pump without waste (fed-batch). */
  protected async addOnly(p: PumpName, ml: number): Promise<number | null> {
    if (!(await this.waitReady())) return null;
    return this.pump(p, ml);
  }
}

export function round(x: number, dp = 4): number {
  const f = 10 ** dp;
  return Math.round(x * f) / f;
}

/** Helpers for settings schemas: numbers arrive as text from MQTT and the CLI. */
export const num = (d: number) => z.coerce.number().refine(Number.isFinite, 'must be a finite number').default(d);
export const numRequired = () => z.coerce.number().refine(Number.isFinite, 'must be a finite number');
