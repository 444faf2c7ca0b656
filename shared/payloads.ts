/**
 * zod schemas and types for every JSON payload of the Pioreactor wire (reference: pioreactor-mqtt.md §3, §4, §5.4).
 *
 * Objects are loose: a payload may carry extra fields (Colony adds `colony_seq` and `colony_epoch` from the agent's
 * outbox; Python loggers add `taskName`), and readers ignore what they do not know. A failed parse names the field.
 */
import { z } from 'zod';
import { isTimestamp } from './timestamps.js';

export const Timestamp = z.string().refine(isTimestamp, {
  message: 'expected an RFC 3339 UTC timestamp with 0, 3 or 6 fractional digits',
});

/** Outbox fields that Colony agents add to JSON payloads (ARCHITECTURE.md §5). */
export const OutboxFields = {
  colony_seq: z.number().int().nonnegative().optional(),
  colony_epoch: z.string().min(1).max(64).optional(),
  /** Lowest seq still in the agent's outbox when this was sent: everything below is acknowledged or dropped. */
  colony_floor: z.number().int().nonnegative().optional(),
};

export const Angle = z.enum(['45', '90', '135', '180']);
export const PdChannel = z.enum(['1', '2', '3', '4']);
export const LedChannel = z.enum(['A', 'B', 'C', 'D']);

const finite = () => z.number().finite();

export const RawODReadingUncalibrated = z.looseObject({
  calibrated: z.literal(0),
  timestamp: Timestamp,
  angle: Angle,
  od: finite().nonnegative(),
  channel: PdChannel,
  ir_led_intensity: finite(),
  ...OutboxFields,
});
export const CalibratedODReading = z.looseObject({
  calibrated: z.literal(1),
  timestamp: Timestamp,
  angle: Angle,
  od: finite(),
  channel: PdChannel,
  ir_led_intensity: finite(),
  calibration_name: z.string(),
  ...OutboxFields,
});
/** `od1`..`od4`: a tagged union on `calibrated`. */
export const ODReading = z.discriminatedUnion('calibrated', [RawODReadingUncalibrated, CalibratedODReading]);
export type ODReading = z.infer<typeof ODReading>;

/** `raw_od1`..`raw_od4` (only while a calibration is active). */
export const RawODReading = z.looseObject({
  timestamp: Timestamp,
  angle: Angle,
  od: finite(),
  channel: PdChannel,
  ir_led_intensity: finite(),
  ...OutboxFields,
});
export type RawODReading = z.infer<typeof RawODReading>;

export const ODReadings = z.looseObject({
  timestamp: Timestamp,
  ods: z.partialRecord(PdChannel, ODReading),
  ...OutboxFields,
});
export type ODReadings = z.infer<typeof ODReadings>;

export const ODFused = z.looseObject({ od_fused: finite(), timestamp: Timestamp, ...OutboxFields });
export type ODFused = z.infer<typeof ODFused>;
export const ODFiltered = z.looseObject({ od_filtered: finite(), timestamp: Timestamp, ...OutboxFields });
export type ODFiltered = z.infer<typeof ODFiltered>;
export const GrowthRate = z.looseObject({ growth_rate: finite(), timestamp: Timestamp, ...OutboxFields });
export type GrowthRate = z.infer<typeof GrowthRate>;
export const Temperature = z.looseObject({ temperature: finite(), timestamp: Timestamp, ...OutboxFields });
export type Temperature = z.infer<typeof Temperature>;
export const MeasuredRPM = z.looseObject({ measured_rpm: finite(), timestamp: Timestamp, ...OutboxFields });
export type MeasuredRPM = z.infer<typeof MeasuredRPM>;
export const Voltage = z.looseObject({ voltage: finite(), timestamp: Timestamp, ...OutboxFields });
export type Voltage = z.infer<typeof Voltage>;
export const RelativeIntensityOfIrLed = z.looseObject({
  relative_intensity_of_ir_led: finite(),
  timestamp: Timestamp,
  ...OutboxFields,
});
export const KalmanFilterOutput = z.looseObject({
  state: z.array(finite()),
  covariance_matrix: z.array(z.array(finite())),
  timestamp: Timestamp,
  ...OutboxFields,
});
export type KalmanFilterOutput = z.infer<typeof KalmanFilterOutput>;

export const DosingEventName = z.enum(['add_media', 'add_alt_media', 'remove_waste']);
export const DosingEvent = z.looseObject({
  volume_change: finite(),
  event: DosingEventName,
  source_of_event: z.string().nullable(),
  timestamp: Timestamp,
  ...OutboxFields,
});
export type DosingEvent = z.infer<typeof DosingEvent>;

export const LedChangeEvent = z.looseObject({
  channel: LedChannel,
  intensity: finite().min(0).max(100),
  source_of_event: z.string().nullable(),
  timestamp: Timestamp,
  ...OutboxFields,
});
export type LedChangeEvent = z.infer<typeof LedChangeEvent>;

/** `leds/intensity`: the full A-D state. */
export const LedsIntensity = z.looseObject({
  A: finite().min(0).max(100),
  B: finite().min(0).max(100),
  C: finite().min(0).max(100),
  D: finite().min(0).max(100),
});
export type LedsIntensity = z.infer<typeof LedsIntensity>;

/** `pwms/dc`: duty cycles keyed by GPIO pin as a string, zero entries omitted. */
export const PwmsDc = z.record(z.string().regex(/^\d{1,2}$/, 'keys are GPIO pin numbers'), finite().min(0).max(100));
export type PwmsDc = z.infer<typeof PwmsDc>;

export const LogLevelUpper = z.enum(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL']);
export const LogPayload = z.looseObject({
  message: z.string(),
  level: LogLevelUpper,
  task: z.string(),
  source: z.string(),
  timestamp: Timestamp,
  ...OutboxFields,
});
export type LogPayload = z.infer<typeof LogPayload>;

export const AUTOMATION_EVENT_NAMES = [
  'NoEvent',
  'DilutionEvent',
  'DosingStarted',
  'DosingStopped',
  'AddMediaEvent',
  'AddAltMediaEvent',
  'ChangedLedIntensity',
  'ErrorOccurred',
  'UpdatedHeaterDC',
] as const;
export const AutomationEvent = z.looseObject({
  event_name: z.enum(AUTOMATION_EVENT_NAMES),
  message: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  ...OutboxFields,
});
export type AutomationEvent = z.infer<typeof AutomationEvent>;

/** `{job}/{job}_settings`: `settings` is base64 of a JSON object of the settable settings. */
export const AutomationSettings = z.looseObject({
  pioreactor_unit: z.string(),
  experiment: z.string(),
  started_at: Timestamp,
  ended_at: Timestamp.nullable(),
  automation_name: z.string(),
  settings: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'settings must be base64 text'),
  ...OutboxFields,
});
export type AutomationSettings = z.infer<typeof AutomationSettings>;

/** Retained `pioreactor/{unit}/$experiment/assignment`. */
export const Assignment = z.looseObject({
  pioreactor_unit: z.string(),
  experiment: z.string().nullable(),
  assigned_at: Timestamp.nullable(),
  updated_at: Timestamp,
});
export type Assignment = z.infer<typeof Assignment>;

/** `bioreactor/{variable}`: a bare number in text. */
export const BioreactorValue = z
  .string()
  .transform((s, ctx) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `not a number: ${JSON.stringify(s)}` });
      return z.NEVER;
    }
    return n;
  });

export const ComputerStatistics = z.looseObject({
  available_disk_space: finite().optional(),
  cpu_temperature_celcius: finite().optional(),
  timestamp: Timestamp,
});
export const Versions = z.looseObject({
  app: z.string(),
  hat: z.string().optional(),
  firmware: z.string().optional(),
  hat_serial: z.string().optional(),
  rpi_machine: z.string().optional(),
  timestamp: Timestamp.optional(),
});
export const OdBlankMeans = z.partialRecord(PdChannel, finite());

/** Colony: the leader's per-unit "committed up to" acknowledgement (docs/protocol.md). */
export const CommittedAck = z.looseObject({
  epoch: z.string().min(1),
  seq: z.number().int().nonnegative(),
  timestamp: Timestamp,
});
export type CommittedAck = z.infer<typeof CommittedAck>;

/** Colony: leader -> unit request. */
export const RequestMessage = z.looseObject({
  id: z.string().min(1).max(128),
  method: z.string().min(1).max(128),
  params: z.record(z.string(), z.unknown()).default({}),
  timestamp: Timestamp,
});
export type RequestMessage = z.infer<typeof RequestMessage>;

/** Colony: unit -> leader reply. Exactly one of result / error. */
export const ReplyMessage = z.looseObject({
  id: z.string(),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  timestamp: Timestamp,
});
export type ReplyMessage = z.infer<typeof ReplyMessage>;

/** The result of parsing an inbound payload: the value, or an error naming the field. */
export type PayloadParse<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parse JSON text with a schema; the error names the failing field path (`ods.2.angle: ...`). */
export function parsePayload<S extends z.ZodType>(schema: S, payload: string | Uint8Array): PayloadParse<z.infer<S>> {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let raw: unknown;
  if (schema === (BioreactorValue as unknown)) {
    raw = text;
  } else {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
    }
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: formatZodError(r.error) };
}

/** One line per issue, each starting with the field path. */
export function formatZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
}
