/**
 * `self_test` (reference/pioreactor-control.md §8; managed lifecycle under `$experiment`, pioreactor-mqtt.md §2.5,
 * §3.10): `init` -> `ready` while the tests run -> `disconnected`. Each test publishes a retained boolean `test_*`
 * setting (persistent, so the result stays after the job exits), then `all_tests_passed` and
 * `correlations_between_pds_and_leds`. A failing test logs an ERROR naming the part to check.
 *
 * Tests, in order (names as Pioreactor publishes them):
 * - `test_detect_heating_pcb`: the heating PCB's thermometer answers.
 * - `test_aux_power_is_not_too_high`: PWM rail <= 18 V.
 * - `test_ambient_light_interference`: all LEDs off, every photodiode < 0.080 V.
 * - `test_all_positive_correlations_between_pds_and_leds`: IR at [35, 85, 75, 55, 45, 65, 80, 50] %, mean of 3
 *   reads per step; every configured photodiode has Pearson r >= 0.90 with the IR intensity.
 * - `test_REF_is_in_correct_range`: at the configured IR intensity (80 when auto), 6 REF reads with mean in
 *   [0.01, 1.0] V and variance < 1e-2.
 * - `test_positive_correlation_between_temp_and_heating`: heater DC 0, 3, ..., 27 % for 1.5 s each; r(DC, T) > 0.9.
 * - `test_positive_correlation_between_rpm_and_stirring`: 8 DCs linearly from 1.2x to 0.8x the initial duty cycle,
 *   3 s RPM windows; r(DC, RPM) > 0.9.
 * - `test_pumps_move_liquid` (sim backend only: real pumps have no flow sensor): each pump runs 1 s and the vial
 *   must register the flow.
 *
 * Refused (`conflict`) while od_reading, stirring, temperature_automation, led_automation or a pump runs: the tests
 * drive those outputs themselves. Every output the tests touch is off again when the job exits, however it exits.
 */
import { isSimBackend, type SimBackend } from '../../hardware/sim/backend.js';
import type { HardwareBackend, LedChannel, Pwm, PwmFunction } from '../../hardware/interfaces.js';
import { irLedChannel } from '../../hardware/map.js';
import { mean, pearson } from '../math/stats.js';
import { Job } from '../runtime/job.js';
import { JobError, type JobKind } from '../runtime/manager.js';
import { setLeds, setPwm } from '../runtime/outputs.js';

export const SELF_TEST_IR_STEPS = [35, 85, 75, 55, 45, 65, 80, 50] as const;
export const SELF_TEST_BUSY_JOBS = ['od_reading', 'stirring', 'temperature_automation', 'led_automation', 'add_media', 'add_alt_media', 'remove_waste'];

interface TestOutcome {
  ok: boolean;
  /** Why it failed, naming the part to check. */
  why?: string;
}

type TestFn = () => Promise<TestOutcome>;

const variance = (xs: readonly number[]): number => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length - 1);
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The sim backend with its vial (the agent's stand-in FakeBackend says `sim` too, but has no vial state). */
function hasSimVial(hw: HardwareBackend): hw is SimBackend {
  return isSimBackend(hw) && typeof (hw.sim as Partial<SimBackend['sim']>).state === 'function';
}

export class SelfTest extends Job {
  readonly name = 'self_test';
  private pdChannels: Array<{ ch: number; role: string }> = [];
  private irChannel: LedChannel = 'A';
  private readonly touched = new Set<Pwm>();
  /** Resolves to all_tests_passed when the tests finish (the job then stops itself). */
  result: Promise<boolean> | null = null;

  /** The tests, in the order they run (a test's name is its published setting). */
  tests(): Array<[string, TestFn]> {
    const t: Array<[string, TestFn]> = [
      ['test_detect_heating_pcb', () => this.testHeatingPcb()],
      ['test_aux_power_is_not_too_high', () => this.testAux()],
      ['test_ambient_light_interference', () => this.testAmbient()],
      ['test_all_positive_correlations_between_pds_and_leds', () => this.testPdLedCorrelation()],
      ['test_REF_is_in_correct_range', () => this.testRefRange()],
      ['test_positive_correlation_between_temp_and_heating', () => this.testHeating()],
      ['test_positive_correlation_between_rpm_and_stirring', () => this.testStirring()],
    ];
    if (hasSimVial(this.ctx.hw)) t.push(['test_pumps_move_liquid', () => this.testPumps()]);
    return t;
  }

  protected async onInit(): Promise<void> {
    const busy = SELF_TEST_BUSY_JOBS.filter((j) => this.ctx.jobsRunning?.().includes(j));
    if (busy.length) throw new JobError('conflict', `stop ${busy.join(', ')} before running self_test: the tests drive those outputs`);
    const pd = this.ctx.config['od_config.photodiode_channel'];
    for (const ch of ['1', '2', '3', '4'] as const) if (pd[ch]) this.pdChannels.push({ ch: Number(ch), role: pd[ch] });
    this.irChannel = irLedChannel(this.ctx.config.leds as Record<string, string>);
    for (const [name] of this.tests()) this.declare(name, { datatype: 'boolean', settable: false, persist: true });
    this.declare('correlations_between_pds_and_leds', { datatype: 'json', settable: false, persist: true });
    this.declare('all_tests_passed', { datatype: 'boolean', settable: false, persist: true });
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (!first || this.result) return;
    this.result = this.runAll();
    void this.result.finally(() => void this.stop());
  }

  private async runAll(): Promise<boolean> {
    let all = true;
    for (const [name, fn] of this.tests()) {
      if (this.isStopping) return false;
      let out: TestOutcome;
      try {
        out = await fn();
      } catch (e) {
        out = { ok: false, why: (e as Error).message ?? String(e) };
      } finally {
        await this.outputsOff();
      }
      if (this.isStopping) return false;
      this.setValue(name, out.ok);
      all &&= out.ok;
      if (out.ok) this.logMsg('DEBUG', `${name} passed.`);
      else this.logMsg('ERROR', `${name} failed: ${out.why ?? 'no reason given'}`);
    }
    this.setValue('all_tests_passed', all);
    this.logMsg(all ? 'NOTICE' : 'ERROR', all ? 'All self-tests passed.' : 'Not all self-tests passed.');
    return all;
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private async setIr(v: number): Promise<void> {
    await setLeds(this.ctx, this.experiment, { [this.irChannel]: v }, 'self_test', false);
  }

  private async pwm(fn: PwmFunction, dc: number): Promise<Pwm | null> {
    const p = this.ctx.hw.pwmFor(fn);
    if (!p) return null;
    this.touched.add(p);
    await setPwm(this.ctx, this.experiment, p, dc);
    return p;
  }

  private async readPds(): Promise<Record<number, number>> {
    const out: Record<number, number> = {};
    for (const { ch } of this.pdChannels) out[ch] = await this.ctx.hw.adc.readVolts(ch);
    return out;
  }

  private async outputsOff(): Promise<void> {
    for (const p of this.touched) await setPwm(this.ctx, this.experiment, p, 0).catch(() => undefined);
    this.touched.clear();
    if (this.ctx.hw.leds.get(this.irChannel) !== 0) await this.setIr(0).catch(() => undefined);
  }

  // ---- the tests ------------------------------------------------------------------------------------------------

  private async testHeatingPcb(): Promise<TestOutcome> {
    try {
      const t = await this.ctx.hw.temperature.readCelsius();
      if (!Number.isFinite(t) || t < -20 || t > 120) return { ok: false, why: `heating PCB thermometer reads ${t} ℃; check the heating PCB's connection` };
      return { ok: true };
    } catch (e) {
      return { ok: false, why: `heating PCB not detected (${(e as Error).message}); check the heating PCB's connection` };
    }
  }

  private async testAux(): Promise<TestOutcome> {
    const v = await this.ctx.hw.adc.readAuxVolts();
    return v <= 18 ? { ok: true } : { ok: false, why: `PWM rail (aux power) reads ${r3(v)} V, above 18 V; check the power supply` };
  }

  private async testAmbient(): Promise<TestOutcome> {
    await this.setIr(0);
    const high: string[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await this.readPds();
      for (const { ch } of this.pdChannels) if (v[ch] >= 0.08 && !high.includes(String(ch))) high.push(String(ch));
      if (!(await this.sleep(100))) break;
    }
    return high.length ? { ok: false, why: `photodiode channel(s) ${high.join(', ')} read >= 0.080 V with every LED off: ambient light reaches the photodiodes` } : { ok: true };
  }

  private async testPdLedCorrelation(): Promise<TestOutcome> {
    const xs: number[] = [];
    const ys: Record<number, number[]> = Object.fromEntries(this.pdChannels.map((p) => [p.ch, []]));
    for (const ir of SELF_TEST_IR_STEPS) {
      await this.setIr(ir);
      if (!(await this.sleep(100))) return { ok: false, why: 'stopped' };
      const reads: Record<number, number[]> = Object.fromEntries(this.pdChannels.map((p) => [p.ch, []]));
      for (let i = 0; i < 3; i++) {
        const v = await this.readPds();
        for (const { ch } of this.pdChannels) reads[ch].push(v[ch]);
        if (!(await this.sleep(50))) return { ok: false, why: 'stopped' };
      }
      xs.push(ir);
      for (const { ch } of this.pdChannels) ys[ch].push(mean(reads[ch]));
    }
    const corr: Record<string, number> = {};
    const bad: string[] = [];
    for (const { ch, role } of this.pdChannels) {
      const r = r3(pearson(xs, ys[ch]));
      corr[`${this.irChannel}_${ch}`] = r;
      if (!(r >= 0.9)) bad.push(`photodiode channel ${ch} (${role === 'REF' ? 'REF' : `${role}°`}) r=${r}`);
    }
    this.setValue('correlations_between_pds_and_leds', corr);
    if (!bad.length) return { ok: true };
    return { ok: false, why: `the photodiode signal does not follow the IR LED (channel ${this.irChannel}): ${bad.join('; ')}; check the IR LED and the photodiodes` };
  }

  private async testRefRange(): Promise<TestOutcome> {
    const ref = this.pdChannels.find((p) => p.role === 'REF');
    if (!ref) return { ok: true };
    const cfg = this.ctx.config['od_reading.config'].ir_led_intensity;
    await this.setIr(cfg === 'auto' ? 80 : Number(cfg));
    if (!(await this.sleep(100))) return { ok: false, why: 'stopped' };
    const xs: number[] = [];
    for (let i = 0; i < 6; i++) {
      xs.push(await this.ctx.hw.adc.readVolts(ref.ch));
      if (!(await this.sleep(50))) return { ok: false, why: 'stopped' };
    }
    const m = mean(xs);
    const v = variance(xs);
    if (m >= 0.01 && m <= 1 && v < 1e-2) return { ok: true };
    return { ok: false, why: `REF photodiode (channel ${ref.ch}) reads ${r3(m)} V (variance ${v.toExponential(1)}), outside [0.01, 1.0] V; check the IR LED and the REF photodiode` };
  }

  private async testHeating(): Promise<TestOutcome> {
    if (!this.ctx.hw.pwmFor('heating')) return { ok: false, why: 'no PWM channel is mapped to heating in [PWM]' };
    const dcs: number[] = [];
    const temps: number[] = [];
    for (let dc = 0; dc <= 27; dc += 3) {
      await this.pwm('heating', dc);
      if (!(await this.sleep(1500))) return { ok: false, why: 'stopped' };
      dcs.push(dc);
      temps.push(await this.ctx.hw.temperature.readCelsius());
    }
    const r = r3(pearson(dcs, temps));
    if (r > 0.9) return { ok: true };
    return { ok: false, why: `the heating PCB's temperature did not follow the heater duty cycle (r=${r}, ${r3(temps[0])} -> ${r3(temps[temps.length - 1])} ℃); check the heater` };
  }

  private async testStirring(): Promise<TestOutcome> {
    if (!this.ctx.hw.pwmFor('stirring')) return { ok: false, why: 'no PWM channel is mapped to stirring in [PWM]' };
    const dc0 = this.ctx.config['stirring.config'].initial_duty_cycle;
    const dcs = Array.from({ length: 8 }, (_, i) => dc0 * (1.2 - (0.4 * i) / 7));
    // a kick to get the bar going, as stirring does
    await this.pwm('stirring', 100);
    if (!(await this.sleep(500))) return { ok: false, why: 'stopped' };
    const rpms: number[] = [];
    for (const dc of dcs) {
      await this.pwm('stirring', dc);
      if (!(await this.sleep(1000))) return { ok: false, why: 'stopped' };
      rpms.push(await this.ctx.hw.rpm.measure(3));
    }
    const r = r3(pearson(dcs, rpms));
    if (r > 0.9) return { ok: true };
    return { ok: false, why: `the stirring RPM did not follow the motor's duty cycle (r=${r}, RPM ${Math.round(Math.min(...rpms))}-${Math.round(Math.max(...rpms))}); check the stirring motor and the stir bar` };
  }

  private async testPumps(): Promise<TestOutcome> {
    const hw = this.ctx.hw;
    if (!hasSimVial(hw)) return { ok: true };
    const bad: string[] = [];
    const moved = (fn: 'media' | 'alt_media' | 'waste') => {
      const s = hw.sim.state();
      return fn === 'media' ? s.mediaAddedMl : fn === 'alt_media' ? s.altMediaAddedMl : s.wasteRemovedMl;
    };
    // in first, so waste has liquid above the efflux tube to remove
    for (const fn of ['media', 'alt_media', 'waste'] as const) {
      if (!hw.pwmFor(fn)) continue;
      const before = moved(fn);
      await this.pwm(fn, 100);
      const ok = await this.sleep(fn === 'waste' ? 3000 : 1000);
      await this.pwm(fn, 0);
      if (!ok) return { ok: false, why: 'stopped' };
      if (!(moved(fn) - before > 0.05)) bad.push(`${fn} pump`);
    }
    return bad.length ? { ok: false, why: `no liquid moved through the ${bad.join(', ')}; check the tubing for a clog` } : { ok: true };
  }

  protected override async onDisconnected(): Promise<void> {
    await this.outputsOff().catch(() => undefined);
  }
}

export const selfTestKind: JobKind = {
  name: 'self_test',
  help: 'Check the optics, heater, stirring and power (and pumps on the sim); publishes test_* and all_tests_passed.',
  experiment: '$experiment',
  options: [],
  create: (ctx, o) => new SelfTest(ctx, o),
};
