/**
 * A job: one object per running job, with its own MQTT connection carrying its last will (`$state` = `lost`), the
 * lifecycle init -> ready <-> sleeping -> disconnected, and Pioreactor's published settings (reference/pioreactor-mqtt.md
 * §1.4, §2). Readings (struct settings, logs, events) go through the unit's outbox; plain settings and `$state` are
 * published retained at QoS 2 on the job's own connection and republished after every reconnect.
 */
import type { MqttClient } from 'mqtt';
import { decodeValue, encodeValue, pythonFloat, type Datatype } from '../../shared/codec.js';
import type { TimerHandle } from '../../shared/clock.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { BROADCAST, topics, UNIVERSAL_EXPERIMENT } from '../../shared/topics.js';
import type { AgentContext } from './context.js';
import { connectClient, endClient, waitConnected } from './mqtt.js';

export type JobState = 'init' | 'ready' | 'sleeping' | 'disconnected' | 'lost';
export const JOB_STATES: readonly JobState[] = ['init', 'ready', 'sleeping', 'disconnected', 'lost'];

const CODEC_TYPES = new Set(['float', 'integer', 'boolean', 'string', 'json']);

export interface SettingSpec {
  /** float, integer, boolean, string, json, or a struct name (GrowthRate, ODReading, ...): JSON on the wire. */
  datatype: string;
  settable: boolean;
  unit?: string;
  persist?: boolean;
  /** A reading: stored in the outbox and published from there (QoS 1, retained). */
  reading?: boolean;
  /** Called on `/set` with the decoded value (else the value is assigned). */
  set?: (value: unknown) => void | Promise<void>;
}

export interface JobStartOptions {
  experiment: string;
  options?: Record<string, unknown>;
  env?: Record<string, string>;
  source?: string;
  jobId?: string;
}

export type LogLevel = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

export function formatSettingValue(v: unknown, spec: SettingSpec | undefined): string {
  if (v === null || v === undefined) return 'None';
  let s: string;
  if (typeof v === 'number' && spec?.datatype === 'float') s = pythonFloat(v);
  else if (typeof v === 'boolean') s = v ? 'True' : 'False';
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  s = s.slice(0, 40);
  if (spec?.unit) s += spec.unit === '%' ? '%' : ` ${spec.unit}`;
  return s;
}

export abstract class Job {
  abstract readonly name: string;
  readonly experiment: string;
  readonly options: Record<string, unknown>;
  readonly source: string;
  readonly jobId: string;
  readonly startedAt: number;
  state: JobState = 'init';
  client!: MqttClient;
  readonly settings = new Map<string, SettingSpec>();
  protected readonly values = new Map<string, unknown>();
  private readonly timers = new Set<TimerHandle>();
  private connectedOnce = false;
  private stopping: Promise<void> | null = null;
  private healTimer: TimerHandle | null = null;
  /** Resolves when the job has fully stopped. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    protected readonly ctx: AgentContext,
    o: JobStartOptions,
  ) {
    this.experiment = o.experiment;
    this.options = o.options ?? {};
    this.source = o.source ?? 'user';
    this.jobId = o.jobId ?? `${ctx.clock.now()}`;
    this.startedAt = ctx.clock.now();
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get unit(): string {
    return this.ctx.unit;
  }

  protected topic(setting: string): string {
    return topics.setting(this.unit, this.experiment, this.name, setting);
  }

  // ---- published settings -------------------------------------------------------------------------------------

  protected declare(name: string, spec: SettingSpec, initial?: unknown): void {
    this.settings.set(name, spec);
    if (initial !== undefined) this.setValue(name, initial);
  }

  protected undeclare(name: string): void {
    if (!this.settings.has(name)) return;
    this.settings.delete(name);
    this.values.delete(name);
    this.rawPublish(this.topic(name), '', 2, true);
  }

  getValue(name: string): unknown {
    return this.values.get(name) ?? null;
  }

  /** The current values of every published setting (for `jobs.settings`). */
  settingValues(): Record<string, unknown> {
    const out: Record<string, unknown> = { $state: this.state };
    for (const name of this.settings.keys()) out[name] = this.values.get(name) ?? null;
    return out;
  }

  /** Assign a published setting and publish it. */
  protected setValue(name: string, value: unknown): void {
    const spec = this.settings.get(name);
    if (!spec) throw new Error(`${this.name}: ${name} is not a published setting`);
    this.values.set(name, value);
    this.publishSetting(name, spec, value);
  }

  private publishSetting(name: string, spec: SettingSpec, value: unknown): void {
    if (spec.reading && value !== null && value !== undefined && typeof value === 'object') {
      this.ctx.link.emitReading(this.topic(name), value as Record<string, unknown>, { retain: true });
      return;
    }
    const payload = CODEC_TYPES.has(spec.datatype) ? encodeValue(value, spec.datatype as Datatype) : value === null || value === undefined ? '' : JSON.stringify(value);
    this.rawPublish(this.topic(name), payload, 2, true);
  }

  protected rawPublish(topic: string, payload: string, qos: 0 | 1 | 2, retain: boolean): void {
    if (!this.client) return;
    this.client.publish(topic, payload, { qos, retain });
  }

  private publishAll(): void {
    this.rawPublish(topics.state(this.unit, this.experiment, this.name), this.state, 2, true);
    for (const [name, spec] of this.settings) {
      if (spec.reading) continue; // the outbox replays readings
      const v = this.values.get(name);
      if (v !== undefined) this.publishSetting(name, spec, v);
    }
  }

  // ---- logging --------------------------------------------------------------------------------------------------

  logMsg(level: LogLevel, message: string, extra?: Record<string, unknown>): void {
    const pinoLevel = ({ DEBUG: 'debug', INFO: 'info', NOTICE: 'notice', WARNING: 'warn', ERROR: 'error', CRITICAL: 'fatal' } as const)[level];
    this.ctx.log[pinoLevel]({ job: this.name, experiment: this.experiment, ...extra }, message);
    if (level === 'DEBUG') return;
    this.ctx.link.emitReading(topics.log(this.unit, this.experiment, 'app', level), {
      message,
      level,
      task: this.name,
      source: 'app',
      timestamp: formatTimestamp(this.ctx.clock.now()),
    });
  }

  // ---- timers ---------------------------------------------------------------------------------------------------

  /** A repeating timer owned by the job (cleared on stop). Errors are logged, never thrown. */
  protected every(ms: number, fn: () => unknown): TimerHandle {
    const h = this.ctx.clock.setInterval(() => this.guard(fn), ms);
    this.timers.add(h);
    return h;
  }

  protected after(ms: number, fn: () => unknown): TimerHandle {
    const h = this.ctx.clock.setTimeout(() => {
      this.timers.delete(h);
      this.guard(fn);
    }, ms);
    this.timers.add(h);
    return h;
  }

  protected cancel(h: TimerHandle | null | undefined): void {
    if (!h) return;
    this.ctx.clock.clear(h);
    this.timers.delete(h);
  }

  protected guard(fn: () => unknown): void {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch((e: unknown) => this.logMsg('ERROR', `${(e as Error).message ?? String(e)}`));
    } catch (e) {
      this.logMsg('ERROR', (e as Error).message ?? String(e));
    }
  }

  /** Sleep on the agent's clock; resolves early (false) if the job stops meanwhile. */
  protected async sleep(ms: number): Promise<boolean> {
    if (this.isStopping) return false;
    await this.ctx.clock.sleep(ms);
    return !this.isStopping;
  }

  get isStopping(): boolean {
    return this.stopping !== null || this.state === 'disconnected';
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  /** Job-specific set-up: declare settings, prepare hardware. Runs in `init`. */
  protected abstract onInit(): Promise<void>;
  /** Entered ready (first time and on resume). */
  protected async onReady(_first: boolean): Promise<void> {}
  protected async onSleeping(): Promise<void> {}
  /** Clean-up on stop: every output this job drives goes off. Must not throw. */
  protected async onDisconnected(): Promise<void> {}
  /** The job's broker connection dropped (pumps stop). */
  protected onConnectionLost(): void {}

  /** Extra topics the job subscribes to on its own connection. */
  protected extraSubscriptions(): string[] {
    return [];
  }

  protected onExtraMessage(_topic: string, _payload: Buffer): void {}

  async start(connectTimeoutMs = 5000): Promise<void> {
    const stateTopic = topics.state(this.unit, this.experiment, this.name);
    this.client = connectClient(this.ctx.broker, {
      clientIdBase: `${this.name}-${this.unit}-${this.experiment}`,
      will: { topic: stateTopic, payload: 'lost' },
    });
    this.client.on('error', (e) => this.ctx.log.debug({ job: this.name, err: e.message }, 'job connection error'));
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => {
      if (this.connectedOnce && !this.isStopping) this.onConnectionLost();
    });
    this.client.on('message', (t, p, packet) => this.onMessage(t, p, packet.retain));
    try {
      await waitConnected(this.client, connectTimeoutMs);
    } catch {
      this.ctx.log.warn({ job: this.name }, 'starting without a broker connection; it will connect when the broker is back');
    }
    this.setState('init');
    this.logMsg('DEBUG', 'Init.');
    try {
      await this.onInit();
    } catch (e) {
      this.logMsg('ERROR', `failed to start: ${(e as Error).message}`);
      await this.stop();
      throw e;
    }
    await this.changeState('ready');
  }

  private onConnect(): void {
    const exp = this.experiment;
    const subs = [
      `pioreactor/${this.unit}/${exp}/${this.name}/+/set`,
      `pioreactor/${BROADCAST}/${exp}/${this.name}/+/set`,
      topics.state(this.unit, exp, this.name),
      ...this.extraSubscriptions(),
    ];
    this.client.subscribe(subs, { qos: 1 });
    if (this.connectedOnce) {
      this.publishAll();
      this.logMsg('INFO', 'Reconnected to the MQTT broker.');
    }
    this.connectedOnce = true;
  }

  private onMessage(topic: string, payload: Buffer, retain: boolean): void {
    const parts = topic.split('/');
    if (parts.length === 5 && parts[4] === '$state' && parts[3] === this.name) {
      this.onOwnState(payload.toString());
      return;
    }
    if (parts.length === 6 && parts[5] === 'set' && parts[3] === this.name && (parts[1] === this.unit || parts[1] === BROADCAST)) {
      if (retain) return; // jobs ignore retained /set
      void this.handleSet(parts[4].replace(/^\$/, ''), payload);
      return;
    }
    this.onExtraMessage(topic, payload);
  }

  private onOwnState(s: string): void {
    if (s !== 'lost' || this.state === 'init' || this.isStopping || this.healTimer) return;
    this.healTimer = this.ctx.clock.setTimeout(() => {
      this.healTimer = null;
      if (!this.isStopping) this.rawPublish(topics.state(this.unit, this.experiment, this.name), this.state, 2, true);
    }, 1000);
  }

  /** `/set` handling: cast by datatype, call the setter or assign, log `Updated <attr> from <old> to <new>.` */
  async handleSet(attr: string, payload: Buffer | string): Promise<void> {
    const text = payload.toString();
    if (attr === 'state') {
      if (!(JOB_STATES as readonly string[]).includes(text)) {
        this.logMsg('WARNING', `Invalid state ${JSON.stringify(text)}.`);
        return;
      }
      await this.changeState(text as JobState);
      return;
    }
    const spec = this.settings.get(attr);
    if (!spec) {
      this.logMsg('DEBUG', `Unable to set ${attr} in ${this.name}.`);
      return;
    }
    if (!spec.settable) {
      this.logMsg('WARNING', `Unable to set ${attr} in ${this.name}: it is read-only.`);
      return;
    }
    let value: unknown;
    try {
      value = CODEC_TYPES.has(spec.datatype) ? decodeValue(text, spec.datatype as Datatype) : JSON.parse(text);
    } catch (e) {
      this.logMsg('WARNING', `Could not set ${attr} to ${JSON.stringify(text.slice(0, 40))}: ${(e as Error).message}`);
      return;
    }
    const old = this.values.get(attr) ?? null;
    try {
      if (spec.set) await spec.set(value);
      else this.setValue(attr, value);
    } catch (e) {
      this.logMsg('WARNING', `Could not set ${attr}: ${(e as Error).message}`);
      return;
    }
    const now = this.values.get(attr) ?? value;
    this.logMsg('INFO', `Updated ${attr} from ${formatSettingValue(old, spec)} to ${formatSettingValue(now, spec)}.`);
  }

  private setState(s: JobState): void {
    this.state = s;
    this.rawPublish(topics.state(this.unit, this.experiment, this.name), s, 2, true);
    this.ctx.bus.emit('state', this.experiment, this.name, s);
  }

  /** Remote or local state change (`$state/set`). Shutdown is terminal. */
  async changeState(target: JobState): Promise<void> {
    if (this.isStopping) return;
    if (target === this.state) return;
    if (target === 'disconnected') return this.stop();
    if (target === 'lost') {
      this.setState('lost');
      return;
    }
    if (target === 'init') return;
    const from = this.state;
    this.setState(target);
    if (target === 'ready') {
      await this.onReady(from === 'init');
      if (from === 'init') this.logMsg('INFO', 'Ready.');
    } else if (target === 'sleeping') {
      await this.onSleeping();
    }
  }

  /** Stop cleanly: outputs off, `$state` = disconnected, non-persistent settings cleared, graceful disconnect. */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    for (const h of this.timers) this.ctx.clock.clear(h);
    this.timers.clear();
    this.ctx.clock.clear(this.healTimer);
    try {
      await this.onDisconnected();
    } catch (e) {
      this.ctx.log.error({ job: this.name, err: (e as Error).message }, 'error in clean-up');
    }
    this.setState('disconnected');
    this.logMsg('INFO', 'Disconnected.');
    for (const [name, spec] of this.settings) {
      if (!spec.persist && this.values.get(name) !== null && this.values.get(name) !== undefined) this.rawPublish(this.topic(name), '', 2, true);
    }
    if (this.client) await endClient(this.client);
    this.resolveDone();
  }

  /** For capabilities: the published settings as Pioreactor lists them. */
  publishedSettingsDescription(): Record<string, { datatype: string; settable: boolean; unit?: string; persist?: boolean }> {
    const out: Record<string, { datatype: string; settable: boolean; unit?: string; persist?: boolean }> = {
      $state: { datatype: 'string', settable: true, persist: true },
    };
    for (const [k, s] of this.settings) out[k] = { datatype: s.datatype, settable: s.settable, ...(s.unit ? { unit: s.unit } : {}), ...(s.persist ? { persist: true } : {}) };
    return out;
  }
}

export { UNIVERSAL_EXPERIMENT };
