/**
 * The topic-to-table mapping of reference/pioreactor-mqtt.md §5.2, as a pure function from one MQTT
 * message to the rows it becomes. Retained, empty and `_testing_` messages are skipped; a payload that
 * fails its schema is an error naming the field (the writer logs it with the topic and moves on).
 */
import { z } from 'zod';
import * as P from '../../shared/payloads.js';
import { formatTimestamp, isTimestamp, normaliseTimestamp } from '../../shared/timestamps.js';
import { parseTopic } from '../../shared/topics.js';

export interface Row {
  table: string;
  values: Record<string, string | number | null>;
}

/** A value for the per-minute rollup (ARCHITECTURE.md §7). */
export interface RollupPoint {
  dataset: string;
  series: string;
  value: number;
  timestamp: string;
}

export type Mapped =
  | { kind: 'skip'; reason: string }
  | { kind: 'error'; unit: string | null; reason: string }
  | {
      kind: 'rows';
      unit: string;
      experiment: string;
      rows: Row[];
      rollup: RollupPoint[];
      /** Present when the payload came from a Colony outbox. */
      outbox: Outbox | null;
      /** Rows that must be committed with synchronous=FULL (dosing events). */
      durable: boolean;
    };

/** Default PWM channel -> GPIO pin map, used to turn `pwms/dc` (keyed by pin) into channel columns. */
export const DEFAULT_PWM_PINS: Record<number, string> = { 1: '17', 2: '13', 3: '16', 4: '12', 5: '18' };

const SETTING_TABLES: Record<string, { table: string; schema: z.ZodType; column: string; field: string; dataset?: boolean }> = {
  'growth_rate_calculating/od_filtered': { table: 'od_readings_filtered', schema: P.ODFiltered, column: 'normalized_od_reading', field: 'od_filtered', dataset: true },
  'growth_rate_calculating/growth_rate': { table: 'growth_rates', schema: P.GrowthRate, column: 'rate', field: 'growth_rate', dataset: true },
  'temperature_automation/temperature': { table: 'temperature_readings', schema: P.Temperature, column: 'temperature_c', field: 'temperature', dataset: true },
  'stirring/measured_rpm': { table: 'stirring_rates', schema: P.MeasuredRPM, column: 'measured_rpm', field: 'measured_rpm', dataset: true },
  'od_reading/od_fused': { table: 'od_readings_fused', schema: P.ODFused, column: 'od_reading', field: 'od_fused', dataset: true },
};

const ANGLES = new Set(['45', '90', '135', '180']);
const CHANNELS = new Set(['1', '2', '3', '4']);
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStamp = (x: unknown): boolean => typeof x === 'string' && isTimestamp(x);
/** The outbox fields, when present, are what P.OutboxFields allows. */
const outboxFieldsOk = (v: Record<string, unknown>): boolean =>
  (v.colony_seq === undefined || (Number.isInteger(v.colony_seq) && (v.colony_seq as number) >= 0)) &&
  (v.colony_epoch === undefined || (typeof v.colony_epoch === 'string' && v.colony_epoch.length > 0 && v.colony_epoch.length <= 64)) &&
  (v.colony_floor === undefined || (Number.isInteger(v.colony_floor) && (v.colony_floor as number) >= 0));

const AUTOMATION_JOBS = new Set(['dosing_automation', 'led_automation', 'temperature_automation']);

/** The outbox fields of a Colony payload: epoch, seq, and the optional floor (lowest seq still in the outbox). */
export interface Outbox {
  epoch: string;
  seq: number;
  floor?: number;
}

function outboxOf(v: Record<string, unknown>): Outbox | null {
  if (typeof v.colony_epoch !== 'string' || typeof v.colony_seq !== 'number') return null;
  const floor = typeof v.colony_floor === 'number' && Number.isInteger(v.colony_floor) && v.colony_floor <= v.colony_seq ? v.colony_floor : undefined;
  return { epoch: v.colony_epoch, seq: v.colony_seq, floor };
}

export interface MessageIn {
  topic: string;
  payload: Buffer | string;
  retain: boolean;
  /** Leader wall clock (ms) for rows the reference timestamps on arrival. */
  now: number;
  /** PWM channel -> pin map for `pwms/dc`. */
  pwmPins?: Record<number, string>;
}

export function mapMessage(msg: MessageIn): Mapped {
  if (msg.retain) return { kind: 'skip', reason: 'retained' };
  const payload = typeof msg.payload === 'string' ? msg.payload : msg.payload.toString('utf8');
  if (payload.length === 0) return { kind: 'skip', reason: 'empty payload' };
  if (msg.topic.includes('/_testing_')) return { kind: 'skip', reason: '_testing_ experiment' };
  const parsed = parseTopic(msg.topic);
  if (!parsed.ok) return { kind: 'skip', reason: parsed.reason };
  const t = parsed.topic;
  if (t.broadcast) return { kind: 'skip', reason: '$broadcast topic' };
  const base = { unit: t.unit, experiment: t.experiment };
  const now = formatTimestamp(msg.now);
  const err = (reason: string): Mapped => ({ kind: 'error', unit: t.unit, reason });
  const rows = (r: Row[], rollup: RollupPoint[], outbox: Outbox | null, durable = false): Mapped => ({
    kind: 'rows',
    ...base,
    rows: r,
    rollup,
    outbox,
    durable,
  });
  const ts = { experiment: t.experiment, pioreactor_unit: t.unit };

  const parse = <S extends z.ZodType>(schema: S) => P.parsePayload(schema, payload);
  /**
   * The hot path: most messages are well-formed readings, so a plain check of the few fields we store accepts
   * them without zod; anything it does not accept goes through the schema, whose error names the field.
   */
  const parseHot = <S extends z.ZodType>(schema: S, accept: (v: Record<string, unknown>) => boolean): P.PayloadParse<z.infer<S>> => {
    let v: unknown;
    try {
      v = JSON.parse(payload);
    } catch {
      return parse(schema);
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && accept(v as Record<string, unknown>)) return { ok: true, value: v as z.infer<S> };
    return parse(schema);
  };

  switch (t.kind) {
    case 'setting': {
      const key = `${t.job}/${t.setting}`;
      const simple = SETTING_TABLES[key];
      if (simple) {
        const r = parseHot(simple.schema, (v) => isFiniteNumber(v[simple.field]) && isStamp(v.timestamp) && outboxFieldsOk(v));
        if (!r.ok) return err(r.error);
        const v = r.value as Record<string, unknown>;
        const value = v[simple.field] as number;
        const stamp = normaliseTimestamp(v.timestamp as string);
        return rows(
          [{ table: simple.table, values: { ...ts, timestamp: stamp, [simple.column]: value } }],
          [{ dataset: simple.table, series: '', value, timestamp: stamp }],
          outboxOf(v),
        );
      }
      const od = /^od([1-4])$/.exec(t.setting);
      if (t.job === 'od_reading' && od) {
        const r = parseHot(P.ODReading, (v) => v.calibrated === 0 && isFiniteNumber(v.od) && (v.od as number) >= 0 && isFiniteNumber(v.ir_led_intensity) && ANGLES.has(v.angle as string) && CHANNELS.has(v.channel as string) && isStamp(v.timestamp) && outboxFieldsOk(v));
        if (!r.ok) return err(r.error);
        const stamp = normaliseTimestamp(r.value.timestamp);
        return rows(
          [{ table: 'od_readings', values: { ...ts, timestamp: stamp, od_reading: r.value.od, angle: Number(r.value.angle), channel: Number(r.value.channel) } }],
          [{ dataset: 'od_readings', series: r.value.channel, value: r.value.od, timestamp: stamp }],
          outboxOf(r.value),
        );
      }
      const raw = /^raw_od([1-4])$/.exec(t.setting);
      if (t.job === 'od_reading' && raw) {
        const r = parse(P.RawODReading);
        if (!r.ok) return err(r.error);
        return rows(
          [{ table: 'raw_od_readings', values: { ...ts, timestamp: normaliseTimestamp(r.value.timestamp), od_reading: r.value.od, channel: Number(r.value.channel) } }],
          [],
          outboxOf(r.value),
        );
      }
      if (t.job === 'od_reading' && t.setting === 'relative_intensity_of_ir_led') {
        const r = parse(P.RelativeIntensityOfIrLed);
        if (!r.ok) return err(r.error);
        return rows(
          [{ table: 'ir_led_intensities', values: { ...ts, timestamp: normaliseTimestamp(r.value.timestamp), relative_intensity: r.value.relative_intensity_of_ir_led } }],
          [],
          outboxOf(r.value),
        );
      }
      if (AUTOMATION_JOBS.has(t.job) && t.setting === 'latest_event') {
        const r = parse(P.AutomationEvent);
        if (!r.ok) return err(r.error);
        return rows(
          [{ table: `${t.job}_events`, values: { ...ts, timestamp: now, event_name: r.value.event_name, message: r.value.message, data: r.value.data ? JSON.stringify(r.value.data) : '' } }],
          [],
          outboxOf(r.value),
        );
      }
      if (AUTOMATION_JOBS.has(t.job) && t.setting === `${t.job}_settings`) {
        const r = parse(P.AutomationSettings);
        if (!r.ok) return err(r.error);
        const v = r.value;
        return rows(
          [{ table: `${t.job}_settings`, values: { experiment: v.experiment, pioreactor_unit: v.pioreactor_unit, started_at: normaliseTimestamp(v.started_at), ended_at: v.ended_at ? normaliseTimestamp(v.ended_at) : null, automation_name: v.automation_name, settings: v.settings } }],
          [],
          outboxOf(v),
          true,
        );
      }
      return { kind: 'skip', reason: `not an ingested setting: ${key}` };
    }
    case 'dosing_events': {
      const r = parse(P.DosingEvent);
      if (!r.ok) return err(r.error);
      const v = r.value;
      return rows(
        [{ table: 'dosing_events', values: { ...ts, timestamp: normaliseTimestamp(v.timestamp), event: v.event, volume_change_ml: v.volume_change, source_of_event: v.source_of_event } }],
        [],
        outboxOf(v),
        true,
      );
    }
    case 'led_change_events': {
      const r = parse(P.LedChangeEvent);
      if (!r.ok) return err(r.error);
      const v = r.value;
      return rows(
        [{ table: 'led_change_events', values: { ...ts, timestamp: normaliseTimestamp(v.timestamp), channel: v.channel, intensity: v.intensity, source_of_event: v.source_of_event } }],
        [],
        outboxOf(v),
      );
    }
    case 'log': {
      const r = parse(P.LogPayload);
      if (!r.ok) return err(r.error);
      const v = r.value;
      return rows(
        [{ table: 'logs', values: { ...ts, timestamp: normaliseTimestamp(v.timestamp), message: v.message, task: v.task, level: v.level.toUpperCase(), source: v.source } }],
        [],
        outboxOf(v),
      );
    }
    case 'bioreactor': {
      if (t.variable !== 'alt_media_fraction' && t.variable !== 'current_volume_ml') return { kind: 'skip', reason: `bioreactor/${t.variable} is not stored` };
      const r = parse(P.BioreactorValue);
      if (!r.ok) return err(r.error);
      const table = t.variable === 'alt_media_fraction' ? 'alt_media_fractions' : 'liquid_volumes';
      const column = t.variable === 'alt_media_fraction' ? 'alt_media_fraction' : 'liquid_volume';
      return rows([{ table, values: { ...ts, timestamp: now, [column]: r.value } }], [], null);
    }
    case 'pwms_dc': {
      const r = parse(P.PwmsDc);
      if (!r.ok) return err(r.error);
      const pins = msg.pwmPins ?? DEFAULT_PWM_PINS;
      const values: Row['values'] = { ...ts, timestamp: now };
      for (let c = 1; c <= 5; c++) values[`channel_${c}`] = r.value[pins[c]] ?? 0.0;
      return rows([{ table: 'pwm_dcs', values }], [], null);
    }
    case 'managed_setting': {
      if (t.job === 'experiment_profile' && t.setting === 'experiment_profile_name') {
        return rows([{ table: 'experiment_profile_runs', values: { started_at: now, experiment_profile_name: payload, experiment: t.experiment } }], [], null);
      }
      return { kind: 'skip', reason: 'not an ingested managed setting' };
    }
    default:
      return { kind: 'skip', reason: `not an ingested topic kind: ${t.kind}` };
  }
}

/**
 * Ingest listens to the whole tree: besides the mapped topics, it must see every message that carries outbox
 * fields (e.g. `od_reading/ods`, which is not stored) so that the (unit, epoch) watermark has no gaps.
 */
export const INGEST_SUBSCRIPTIONS: string[] = ['pioreactor/#'];

/**
 * The outbox fields of a message that maps to no row (a skipped topic, or a malformed payload): the seq still
 * counts as received, or the agent's watermark would stall at it. Cheap for messages without them.
 */
export function outboxOfUnmapped(topic: string, payload: Buffer | string): { unit: string; experiment: string; outbox: Outbox } | null {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (!text.includes('"colony_seq"')) return null;
  const parts = topic.split('/');
  if (parts[0] !== 'pioreactor' || parts.length < 4 || parts[1] === '$broadcast') return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = outboxOf(v as Record<string, unknown>);
  return o ? { unit: parts[1], experiment: parts[2], outbox: o } : null;
}
