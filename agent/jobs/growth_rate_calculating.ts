/**
 * `growth_rate_calculating` (reference/pioreactor-control.md §3): skips the first 5 OD readings, warms up on
 * `samples_for_od_statistics` readings, then runs the log-space Kalman filter on each `ods`, flagging the 2 updates
 * after a dosing event. Publishes `growth_rate`, `od_filtered` and `kalman_filter_outputs`.
 */
import { parseTimestamp } from '../../shared/timestamps.js';
import type { ODReadings } from '../../shared/payloads.js';
import { CultureGrowthKalman, normalizationFactors, scaleObservation, setupFromWarmup, type KalmanSetup } from '../math/kalman.js';
import { Job } from '../runtime/job.js';
import type { JobKind } from '../runtime/manager.js';

export class GrowthRateCalculating extends Job {
  readonly name = 'growth_rate_calculating';
  private skipped = 0;
  private warmup: Array<Record<string, number>> = [];
  private kf: CultureGrowthKalman | null = null;
  private setup: KalmanSetup | null = null;
  private lastT: number | null = null;
  private dilutionFlags = 0;
  private readonly onOds = (exp: string, r: ODReadings) => {
    if (exp === this.experiment && this.state === 'ready') this.guard(() => this.observe(r));
  };
  private readonly onDosing = (exp: string) => {
    if (exp !== this.experiment) return;
    if (this.kf) this.dilutionFlags = 2;
    else this.warmup = []; // a dosing event during warm-up restarts the collection
  };

  private get cfg() {
    return this.ctx.config['growth_rate_calculating.config'];
  }

  /**
   * The sim's `--speed N` makes the culture grow N times faster than the clock. The filter's process noise is
   * tuned for biological rates, so it runs in biological hours (dt x N) and the published rate is converted back
   * to clock time (x N, as ARCHITECTURE.md §4 says rates then read); the clip limits are in clock time too.
   * Without this, at N = 60 the filter followed a 30 /h culture at 0.07 /h. On real hardware N is 1.
   */
  private get speed(): number {
    return this.ctx.speed > 0 ? this.ctx.speed : 1;
  }

  private get expectedDtHours(): number {
    return (1 / (3600 * this.ctx.config['od_reading.config'].samples_per_second)) * this.speed;
  }

  protected async onInit(): Promise<void> {
    this.declare('growth_rate', { datatype: 'GrowthRate', settable: false, unit: 'h⁻¹', reading: true });
    this.declare('od_filtered', { datatype: 'ODFiltered', settable: false, reading: true });
    this.declare('kalman_filter_outputs', { datatype: 'KalmanFilterOutput', settable: false, reading: true });
    this.ctx.bus.on('ods', this.onOds);
    this.ctx.bus.on('dosing', this.onDosing);
  }

  private observe(r: ODReadings): void {
    const ods: Record<string, number> = {};
    for (const [ch, v] of Object.entries(r.ods)) if (v) ods[ch] = v.od;
    const t = parseTimestamp(r.timestamp);
    if (this.lastT !== null && t <= this.lastT) return; // replays and duplicates
    if (this.skipped < 5) {
      this.skipped++;
      this.lastT = t;
      return;
    }
    if (!this.kf) {
      this.warmup.push(ods);
      this.lastT = t;
      if (this.warmup.length < this.cfg.samples_for_od_statistics) return;
      const cached = this.ctx.store.cacheGet<Record<string, number>>('od_normalization_mean', this.experiment);
      const factors = cached && Object.keys(cached).length ? cached : normalizationFactors(this.warmup);
      if (!cached || !Object.keys(cached).length) this.ctx.store.cacheSet('od_normalization_mean', this.experiment, factors);
      this.setup = setupFromWarmup(this.warmup, this.expectedDtHours, factors);
      this.kf = new CultureGrowthKalman(this.setup, this.cfg.ekf_outlier_std_threshold, this.cfg.growth_rate_min / this.speed, this.cfg.growth_rate_max / this.speed);
      this.lastT = null;
      this.logMsg('INFO', `OD normalization factors: ${JSON.stringify(factors)}.`);
      return;
    }
    const setup = this.setup!;
    let y: number[];
    try {
      y = scaleObservation(ods, setup.factors, setup.channels);
    } catch (e) {
      this.logMsg('ERROR', (e as Error).message);
      return;
    }
    const dt = this.lastT === null ? this.expectedDtHours : ((t - this.lastT) / 3_600_000) * this.speed;
    this.lastT = t;
    const flag = this.dilutionFlags > 0;
    const step = this.kf.update(y, dt, flag);
    if (flag) this.dilutionFlags--;
    const ts = r.timestamp;
    this.setValue('growth_rate', { growth_rate: step.x[1] * this.speed, timestamp: ts });
    this.setValue('od_filtered', { od_filtered: Math.exp(step.x[0]), timestamp: ts });
    this.setValue('kalman_filter_outputs', { state: step.x, covariance_matrix: step.P, timestamp: ts });
  }

  protected override async onDisconnected(): Promise<void> {
    this.ctx.bus.off('ods', this.onOds);
    this.ctx.bus.off('dosing', this.onDosing);
  }
}

export const growthRateKind: JobKind = {
  name: 'growth_rate_calculating',
  help: 'Growth rate and filtered OD from od_reading, by a Kalman filter in log space.',
  options: [],
  create: (ctx, o) => new GrowthRateCalculating(ctx, o),
};
