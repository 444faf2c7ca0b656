/**
 * The typed configuration: the sections of Pioreactor's config.ini (prod defaults, per
 * reference/pioreactor-control.md; where dev and prod differ we take prod) plus Colony's own
 * sections. Every value arrives as INI text and is coerced here; a bad value fails with its
 * `section.key`. Unknown sections and unknown keys are errors, except in `ui.*` sections, which
 * belong to the browser UI and pass through as text.
 */
import { z } from 'zod';
import { parseBoolean } from '../codec.js';

type NumCheck = (n: number) => string | null;
/** A number in text; `check` returns an error message or null. */
const numText = (check?: NumCheck) =>
  z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) ctx.addIssue({ code: 'custom', message: 'expected a number' });
      else if (check) {
        const m = check(n);
        if (m) ctx.addIssue({ code: 'custom', message: m });
      }
    })
    .transform(Number);
/** A number with a default (the default is parsed like input). */
const num = (d: number, check?: NumCheck) => numText(check).prefault(String(d));
/** An optional number. */
const numOpt = (check?: NumCheck) => numText(check).optional();
const intText = () =>
  z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, 'expected a whole number')
    .transform(Number);
const int = (d: number) => intText().prefault(String(d));
const bool = (d: boolean) =>
  z
    .string()
    .trim()
    .refine((v) => /^(true|false|1|0|yes|no|on|off|t|f|y|n)$/i.test(v), {
      message: 'expected a boolean (1/0, true/false, yes/no, on/off)',
    })
    .transform(parseBoolean)
    .prefault(d ? 'true' : 'false');
const str = (d: string) => z.string().default(d);
const strOpt = () => z.string().optional();
const between = (lo: number, hi: number): NumCheck => (n) => (n < lo || n > hi ? `must be between ${lo} and ${hi}` : null);
const oneOf = <T extends readonly [string, ...string[]]>(values: T, d: T[number]) => z.enum(values).default(d);

const ANGLE_OR_REF = ['45', '90', '135', '180', 'REF', ''] as const;
const PWM_FUNCS = ['stirring', 'media', 'alt_media', 'waste', 'heating', ''] as const;

/** Section name -> strict object schema of its keys. */
export const SECTIONS = {
  'cluster.topology': z.strictObject({
    leader_hostname: str('localhost'),
    leader_address: str('localhost'),
  }),
  mqtt: z.strictObject({
    broker_address: str('localhost'),
    broker_port: int(1883),
    broker_ws_port: int(9001),
    ws_protocol: oneOf(['ws', 'wss'] as const, 'ws'),
    use_tls: bool(false),
    username: strOpt(),
    password: strOpt(),
    /** Colony: the browser's subscribe-only identity, served to the UI in place of the above. */
    browser_username: strOpt(),
    browser_password: strOpt(),
  }),
  storage: z.strictObject({
    database: strOpt(),
    temporary_cache: strOpt(),
    persistent_cache: strOpt(),
  }),
  logging: z.strictObject({
    log_file: strOpt(),
    ui_log_file: strOpt(),
    ui_log_level: oneOf(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'] as const, 'INFO'),
    console_log_level: oneOf(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'] as const, 'INFO'),
  }),
  PWM: z.strictObject({
    '1': oneOf(PWM_FUNCS, 'stirring'),
    '2': oneOf(PWM_FUNCS, 'media'),
    '3': oneOf(PWM_FUNCS, 'alt_media'),
    '4': oneOf(PWM_FUNCS, 'waste'),
    '5': oneOf(PWM_FUNCS, 'heating'),
  }),
  leds: z.strictObject({
    a: str('IR'),
    b: str(''),
    c: str(''),
    d: str(''),
  }),
  'od_config.photodiode_channel': z.strictObject({
    '1': oneOf(ANGLE_OR_REF, 'REF'),
    '2': oneOf(ANGLE_OR_REF, '90'),
    '3': oneOf(ANGLE_OR_REF, ''),
    '4': oneOf(ANGLE_OR_REF, ''),
  }),
  'od_reading.config': z.strictObject({
    samples_per_second: num(0.2, (n) => (n <= 0 || n > 10 ? 'must be above 0 and at most 10' : null)),
    ir_led_intensity: z
      .string()
      .trim()
      .refine((v) => v === 'auto' || (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 100), {
        message: 'expected "auto" or a number from 0 to 100',
      })
      .default('80'),
    pd_reference_ema: num(0.75, between(0, 1)),
    use_calibration: bool(true),
    smoothing_penalizer: num(3.0),
    turn_off_leds_during_reading: bool(true),
    duration_between_led_off_and_od_reading: num(0.125),
    ref_normalization: oneOf(['unity', 'classic', 'static'] as const, 'unity'),
    local_ac_hz: numOpt(),
    oversampling_count: int(40),
  }),
  'stirring.config': z.strictObject({
    initial_duty_cycle: num(30),
    target_rpm: num(500),
    initial_target_rpm: num(500),
    pwm_hz: num(200),
    use_rpm: bool(true),
    duration_between_updates_seconds: num(23),
    enable_dodging_od: bool(false),
    pre_delay_duration: num(1.5),
    post_delay_duration: num(0.25),
    target_rpm_during_od_reading: num(0),
    target_rpm_outside_od_reading: numOpt(),
    kp: num(0.005),
    ki: num(0),
    kd: num(0),
  }),
  'growth_rate_calculating.config': z.strictObject({
    samples_for_od_statistics: int(10),
    ekf_outlier_std_threshold: num(5.0, (n) => (n <= 2 ? 'must be greater than 2' : null)),
    /** Colony: the growth-rate clip limits (raised by the demo's --speed). */
    growth_rate_min: num(-1),
    growth_rate_max: num(3),
  }),
  'temperature_automation.config': z.strictObject({
    pwm_hz: num(16),
    inference_every_n_seconds: num(200),
    samples_per_inference: int(21),
    seconds_between_samples: num(5),
  }),
  'temperature_automation.thermostat': z.strictObject({
    kp: num(2.6),
    ki: num(0),
    kd: num(4.6),
  }),
  'dosing_automation.config': z.strictObject({
    max_subdose: num(1.0),
    waste_removal_multiplier: num(2.0),
    pause_between_subdoses_seconds: num(5),
    max_volume_to_warn: numOpt(),
    max_volume_to_stop: numOpt(),
  }),
  'dosing_automation.turbidostat': z.strictObject({
    biomass_signal: oneOf(['auto', 'normalized_od', 'od_fused', 'od'] as const, 'auto'),
  }),
  'dosing_automation.pid_morbidostat': z.strictObject({
    kp: num(1),
    ki: num(0),
    kd: num(0),
    minimum_dosing_volume_ml: num(0.1),
  }),
  bioreactor: z.strictObject({
    initial_volume_ml: num(15),
    efflux_tube_volume_ml: num(15),
    initial_alt_media_fraction: num(0),
    max_working_volume_ml: numOpt(),
  }),
  /** Colony: which unit this is and what it drives. */
  colony: z.strictObject({
    backend: oneOf(['auto', 'sim', 'pi'] as const, 'auto'),
    model: oneOf(['pioreactor_20ml', 'pioreactor_40ml'] as const, 'pioreactor_40ml'),
    model_version: str('1.5'),
    hat_version: str('1.2'),
    data_dir: strOpt(),
    speed: num(1, (n) => (n <= 0 || n > 10000 ? 'must be above 0 and at most 10000' : null)),
    outbox_max_rows: int(200000),
    sim_seed: int(1),
  }),
  /** Colony: the leader daemon. */
  leader: z.strictObject({
    http_port: int(4999),
    data_dir: strOpt(),
    ingest_batch_ms: int(100),
    ingest_batch_rows: int(250),
    max_mqtt_connections: int(500),
    /** How often runs are scored against their experiment's golden profile (0 disables). */
    live_score_interval_seconds: int(60),
  }),
  /** Colony: periodic leader work (node-cron expressions; empty disables). */
  schedules: z.strictObject({
    backup_cron: str('0 3 * * *'),
    backup_keep: int(7),
    export_cron: str(''),
    export_keep: int(7),
    export_tables: str('dosing_events,growth_rates,od_readings_filtered,dosing_automation_events'),
  }),
  /** Colony: authentication for the HTTP API off loopback. */
  auth: z.strictObject({
    api_keys: str(''),
    users: str(''),
    session_secret: strOpt(),
    require_auth_on_loopback: bool(false),
  }),
  /** Colony: finding workers: agents advertise `_colony._tcp` over mDNS; the static list is the fallback where multicast is blocked. */
  discovery: z.strictObject({
    enabled: bool(true),
    /** Comma-separated unit names (or name=address) that count as seen even without mDNS. */
    static_workers: str(''),
    browse_seconds: num(3, (n) => (n <= 0 || n > 60 ? 'must be above 0 and at most 60' : null)),
  }),
  /** Colony: the leader's watch over its units' clocks and versions. */
  'cluster.health': z.strictObject({
    clock_drift_warn_seconds: num(5, (n) => (n <= 0 ? 'must be above 0' : null)),
    /** `warn`: log it; `refuse`: also refuse to start jobs on a unit whose version differs from the leader's. */
    version_mismatch: oneOf(['warn', 'refuse'] as const, 'warn'),
  }),
} as const;

export type SectionName = keyof typeof SECTIONS;
export type ColonyConfig = { [S in SectionName]: z.output<(typeof SECTIONS)[S]> } & {
  /** `ui.*` sections, kept as text for the browser UI. */
  ui: Record<string, Record<string, string>>;
};
