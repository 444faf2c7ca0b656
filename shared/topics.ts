/**
 * The Pioreactor topic tree (reference: pioreactor-mqtt.md §1): builders and one parser.
 *
 *   pioreactor/{unit}/{experiment}/{job}/{setting}           published setting (retained)
 *   pioreactor/{unit}/{experiment}/{job}/$state               lifecycle state (retained)
 *   pioreactor/{unit}/{experiment}/{job}/{setting}/set        command
 *   pioreactor/{unit}/{experiment}/logs/{source}/{level}      log record
 *   pioreactor/{unit}/{experiment}/dosing_events              pump volume events
 *   pioreactor/{unit}/{experiment}/led_change_events          LED change events
 *   pioreactor/{unit}/{experiment}/leds/intensity             full LED state
 *   pioreactor/{unit}/{experiment}/pwms/dc                    PWM duty cycles by pin
 *   pioreactor/{unit}/{experiment}/bioreactor/{variable}      vial state numbers
 *   pioreactor/{unit}/$experiment/assignment                  experiment assignment
 *   pioreactor/{unit}/{experiment}/{job}/{job_id}/{setting}   managed long-running jobs (experiment_profile)
 *
 * Colony's own request/reply and commit-acknowledgement traffic lives under the reserved job name
 * `colony` (see docs/protocol.md), still inside `pioreactor/{unit}/...` so the per-unit ACL holds.
 */

export const ROOT = 'pioreactor';
export const BROADCAST = '$broadcast';
export const UNIVERSAL_EXPERIMENT = '$experiment';
export const NO_EXPERIMENT = '$no_experiment_present';
export const TESTING_PREFIX = '_testing_';
/** Colony's own channel (request/reply, commit acks). */
export const COLONY_JOB = 'colony';

/** Fourth-level names that are not jobs. */
export const RESERVED_FOURTH_LEVEL = [
  'logs',
  'dosing_events',
  'led_change_events',
  'leds',
  'pwms',
  'bioreactor',
  'assignment',
] as const;

/** Names a job may not take (they collide with non-job topics). */
export const DISALLOWED_JOB_NAMES = new Set([
  'run',
  'dosing_events',
  'leds',
  'led_change_events',
  'unit_label',
  'pwm',
  'pwms',
  'assignment',
  'logs',
  'bioreactor',
]);

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const BIOREACTOR_VARIABLES = [
  'alt_media_fraction',
  'current_volume_ml',
  'cumulative_media_added_ml',
  'cumulative_alt_media_added_ml',
  'cumulative_waste_removed_ml',
  'efflux_tube_volume_ml',
] as const;
export type BioreactorVariable = (typeof BIOREACTOR_VARIABLES)[number];

// eslint-disable-next-line no-control-regex -- a NUL byte is exactly what we must refuse in a topic level
const SEGMENT = /^[^/#+\u0000]+$/;
const JOB_NAME = /^[a-z][a-z0-9_]*$/;
const SETTING_NAME = /^\$?[A-Za-z0-9]+(_[A-Za-z0-9]+)*$/;

function seg(name: string, value: string): string {
  if (!SEGMENT.test(value)) throw new TypeError(`invalid topic segment for ${name}: ${JSON.stringify(value)}`);
  return value;
}

export const topics = {
  setting: (unit: string, exp: string, job: string, setting: string) =>
    `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/${seg('job', job)}/${seg('setting', setting)}`,
  state: (unit: string, exp: string, job: string) => topics.setting(unit, exp, job, '$state'),
  set: (unit: string, exp: string, job: string, setting: string) => `${topics.setting(unit, exp, job, setting)}/set`,
  stateSet: (unit: string, exp: string, job: string) => topics.set(unit, exp, job, '$state'),
  log: (unit: string, exp: string, source: string, level: string) =>
    `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/logs/${seg('source', source)}/${seg('level', level.toLowerCase())}`,
  dosingEvents: (unit: string, exp: string) => `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/dosing_events`,
  ledChangeEvents: (unit: string, exp: string) =>
    `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/led_change_events`,
  ledsIntensity: (unit: string, exp: string) => `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/leds/intensity`,
  pwmsDc: (unit: string, exp: string) => `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/pwms/dc`,
  bioreactor: (unit: string, exp: string, variable: string) =>
    `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/bioreactor/${seg('variable', variable)}`,
  assignment: (unit: string) => `${ROOT}/${seg('unit', unit)}/${UNIVERSAL_EXPERIMENT}/assignment`,
  managedSetting: (unit: string, exp: string, job: string, jobId: string, setting: string) =>
    `${ROOT}/${seg('unit', unit)}/${seg('experiment', exp)}/${seg('job', job)}/${seg('job id', jobId)}/${seg('setting', setting)}`,
  /** Leader -> unit request (Colony protocol). */
  request: (unit: string, id: string) => `${ROOT}/${seg('unit', unit)}/${UNIVERSAL_EXPERIMENT}/${COLONY_JOB}/request/${seg('id', id)}`,
  /** Unit -> leader reply (Colony protocol). */
  reply: (unit: string, id: string) => `${ROOT}/${seg('unit', unit)}/${UNIVERSAL_EXPERIMENT}/${COLONY_JOB}/reply/${seg('id', id)}`,
  /** Leader -> unit: highest outbox sequence committed to the database (retained). */
  committed: (unit: string) => `${ROOT}/${seg('unit', unit)}/${UNIVERSAL_EXPERIMENT}/${COLONY_JOB}/committed`,
};

/** Is this experiment name a testing one (dropped by the leader's writer)? */
export function isTestingExperiment(exp: string): boolean {
  return exp.startsWith(TESTING_PREFIX);
}

interface Base {
  unit: string;
  experiment: string;
  /** `unit` is `$broadcast`. */
  broadcast: boolean;
  /** The experiment is a `_testing_` one. */
  testing: boolean;
}

export type ParsedTopic =
  | (Base & { kind: 'setting'; job: string; setting: string })
  | (Base & { kind: 'state'; job: string })
  | (Base & { kind: 'set'; job: string; setting: string })
  | (Base & { kind: 'state_set'; job: string })
  | (Base & { kind: 'log'; source: string; level: LogLevelName })
  | (Base & { kind: 'dosing_events' })
  | (Base & { kind: 'led_change_events' })
  | (Base & { kind: 'leds_intensity' })
  | (Base & { kind: 'pwms_dc' })
  | (Base & { kind: 'bioreactor'; variable: string })
  | (Base & { kind: 'assignment' })
  | (Base & { kind: 'managed_setting'; job: string; jobId: string; setting: string })
  | (Base & { kind: 'request'; id: string })
  | (Base & { kind: 'reply'; id: string })
  | (Base & { kind: 'committed' });

export type TopicParse = { ok: true; topic: ParsedTopic } | { ok: false; reason: string };

/** Parse any topic of the tree. Never throws: a topic outside the tree gets a reason. */
export function parseTopic(topic: string): TopicParse {
  const fail = (reason: string): TopicParse => ({ ok: false, reason: `${reason}: ${JSON.stringify(topic)}` });
  if (typeof topic !== 'string' || topic.length === 0) return fail('empty topic');
  if (/[#+]/.test(topic)) return fail('wildcards are not allowed in a topic name');
  const p = topic.split('/');
  if (p[0] !== ROOT) return fail(`topic must start with "${ROOT}/"`);
  if (p.length < 4) return fail('topic needs at least pioreactor/{unit}/{experiment}/{name}');
  if (p.some((s) => s.length === 0)) return fail('empty topic level');
  const [, unit, experiment, fourth] = p;
  const base: Base = {
    unit,
    experiment,
    broadcast: unit === BROADCAST,
    testing: isTestingExperiment(experiment),
  };
  const n = p.length;
  switch (fourth) {
    case 'logs': {
      if (n !== 6) return fail('a log topic is pioreactor/{unit}/{experiment}/logs/{source}/{level}');
      const level = p[5];
      if (!(LOG_LEVELS as readonly string[]).includes(level)) return fail(`unknown log level "${level}"`);
      return { ok: true, topic: { ...base, kind: 'log', source: p[4], level: level as LogLevelName } };
    }
    case 'dosing_events':
    case 'led_change_events':
      if (n !== 4) return fail(`${fourth} takes no further levels`);
      return { ok: true, topic: { ...base, kind: fourth } };
    case 'leds':
      if (n !== 5 || p[4] !== 'intensity') return fail('the only leds topic is leds/intensity');
      return { ok: true, topic: { ...base, kind: 'leds_intensity' } };
    case 'pwms':
      if (n !== 5 || p[4] !== 'dc') return fail('the only pwms topic is pwms/dc');
      return { ok: true, topic: { ...base, kind: 'pwms_dc' } };
    case 'bioreactor':
      if (n !== 5) return fail('a bioreactor topic is .../bioreactor/{variable}');
      return { ok: true, topic: { ...base, kind: 'bioreactor', variable: p[4] } };
    case 'assignment':
      if (n !== 4) return fail('assignment takes no further levels');
      if (experiment !== UNIVERSAL_EXPERIMENT) return fail('assignment lives under $experiment');
      return { ok: true, topic: { ...base, kind: 'assignment' } };
    case COLONY_JOB: {
      if (n === 5 && p[4] === 'committed') return { ok: true, topic: { ...base, kind: 'committed' } };
      if (n === 6 && (p[4] === 'request' || p[4] === 'reply')) {
        return { ok: true, topic: { ...base, kind: p[4], id: p[5] } };
      }
      return fail('colony topics are colony/request/{id}, colony/reply/{id} or colony/committed');
    }
  }
  const job = fourth;
  if (!JOB_NAME.test(job)) return fail(`job name "${job}" must be lower-case letters, digits and _`);
  if (DISALLOWED_JOB_NAMES.has(job)) return fail(`"${job}" is not a job name`);
  if (n === 4) return fail('a job topic needs a setting level');
  const setting = p[4];
  if (n === 5) {
    if (setting === '$state') return { ok: true, topic: { ...base, kind: 'state', job } };
    if (!SETTING_NAME.test(setting)) return fail(`setting name "${setting}" is not alphanumeric pieces joined by _`);
    return { ok: true, topic: { ...base, kind: 'setting', job, setting } };
  }
  if (n === 6 && p[5] === 'set') {
    if (setting === '$state') return { ok: true, topic: { ...base, kind: 'state_set', job } };
    if (!SETTING_NAME.test(setting)) return fail(`setting name "${setting}" is not alphanumeric pieces joined by _`);
    return { ok: true, topic: { ...base, kind: 'set', job, setting } };
  }
  if (n === 6) {
    const last = p[5];
    if (last !== '$state' && !SETTING_NAME.test(last)) return fail(`setting name "${last}" is not valid`);
    return { ok: true, topic: { ...base, kind: 'managed_setting', job, jobId: setting, setting: last } };
  }
  return fail('too many topic levels');
}
