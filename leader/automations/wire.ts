/**
 * A dosing automation on the wire: the unit's `dosing_automation` job, hosted by the leader
 * (reference/pioreactor-mqtt.md §2, §3.4, §3.5). Its own MQTT connection carries the last will `lost` on
 * `pioreactor/{unit}/{exp}/dosing_automation/$state`; it publishes its settings, `latest_event` and
 * `dosing_automation_settings`, handles `/set` and `$state/set`, reads the unit's OD, growth-rate and retained
 * `bioreactor/*` topics (never publishing bioreactor/*), and aborts the unit's pumps when paused or stopped.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { randomId } from '../../shared/ids.js';
import type { Clock } from '../../shared/clock.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { GrowthRate, ODFiltered, ODFused, ODReading, parsePayload } from '../../shared/payloads.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { BROADCAST, topics } from '../../shared/topics.js';
import type { LeaderBus } from '../bus.js';
import { PUMP_JOB, type AutomationEvent, type AutomationOptions, type DosingAutomation, type JobState, type LogLevel, type PumpExecutor } from './base.js';
import type { RegisteredAutomation } from './registry.js';
import { Turbidostat } from './turbidostat.js';

export const JOB_NAME = 'dosing_automation';

export interface WireOptions extends AutomationOptions {
  brokerUrl: string;
  username: string;
  password: string;
  cls: RegisteredAutomation;
  settings: Record<string, unknown>;
  pumps: PumpExecutor;
  clock: Clock;
  log: ColonyLogger;
  bus?: LeaderBus;
  /** Start in this state (a restored automation may start paused). */
  initialState?: 'ready' | 'sleeping';
  onRun?(at: number): void;
  onState?(s: JobState): void;
  onSettings?(settings: Record<string, unknown>): void;
  /** `$state/set disconnected` arrived: the manager removes the job. */
  onStopRequested?(): void;
}

function encode(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return JSON.stringify(v);
}

export class AutomationJob {
  client!: MqttClient;
  automation!: DosingAutomation;
  readonly startedAt: number;
  private settingsSince: number;
  private lastSettings: Record<string, unknown> | null = null;
  private closed = false;

  constructor(readonly o: WireOptions) {
    this.startedAt = o.clock.now();
    this.settingsSince = this.startedAt;
  }

  get unit(): string {
    return this.o.unit;
  }
  get experiment(): string {
    return this.o.experiment;
  }
  get automationName(): string {
    return this.o.cls.automationName;
  }
  get state(): JobState {
    return this.automation?.state ?? 'init';
  }

  private t(setting: string): string {
    return topics.setting(this.o.unit, this.o.experiment, JOB_NAME, setting);
  }

  async start(): Promise<void> {
    const o = this.o;
    this.client = await mqtt.connectAsync(o.brokerUrl, {
      username: o.username,
      password: o.password,
      clientId: `${JOB_NAME}-${o.unit}-${o.experiment}-${randomId(4)}`.slice(0, 120),
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: this.t('$state'), payload: Buffer.from('lost'), qos: 2, retain: true },
    });
    this.client.on('error', (e) => o.log.warn({ unit: o.unit, err: e.message }, 'dosing_automation mqtt error'));
    this.client.publish(this.t('$state'), 'init', { qos: 2, retain: true });
    const host = {
      clock: o.clock,
      pumps: o.pumps,
      publish: (setting: string, value: unknown) => {
        if (this.closed) return;
        this.client.publish(this.t(setting), encode(value), { qos: 2, retain: true });
      },
      log: (level: LogLevel, message: string) => this.logLine(level, message),
      stopPumps: () => {
        if (this.closed) return;
        for (const job of Object.values(PUMP_JOB)) this.client.publish(topics.stateSet(o.unit, o.experiment, job), 'disconnected', { qos: 1 });
      },
      onRun: o.onRun,
      onState: (s: JobState) => {
        o.onState?.(s);
        o.bus?.emit('automation.state', { unit: o.unit, experiment: o.experiment, job: JOB_NAME, state: s });
      },
      onSettings: (s: Record<string, unknown>) => this.settingsChanged(s),
      onEvent: (ev: AutomationEvent) => o.bus?.emit('automation.event', { unit: o.unit, experiment: o.experiment, job: JOB_NAME, automation: this.automationName, event: ev }),
    };
    this.automation = o.cls.create(host, o.settings, o);
    const u = o.unit;
    const e = o.experiment;
    const subs = [
      `pioreactor/${u}/${e}/${JOB_NAME}/+/set`,
      `pioreactor/${BROADCAST}/${e}/${JOB_NAME}/+/set`,
      this.t('$state'),
      topics.setting(u, e, 'growth_rate_calculating', 'od_filtered'),
      topics.setting(u, e, 'growth_rate_calculating', 'growth_rate'),
      topics.setting(u, e, 'od_reading', 'od_fused'),
      ...[1, 2, 3, 4].map((i) => topics.setting(u, e, 'od_reading', `od${i}`)),
      `pioreactor/${u}/${e}/bioreactor/+`,
    ];
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain ?? false));
    // Re-publish everything after a reconnect (the broker may have sent our will meanwhile).
    this.client.on('connect', () => {
      if (this.closed) return;
      this.client.publish(this.t('$state'), this.state, { qos: 2, retain: true });
    });
    await this.client.subscribeAsync(subs, { qos: 1 });
    this.automation.start();
    if (o.initialState === 'sleeping') this.automation.setState('sleeping');
  }

  logLine(level: LogLevel, message: string): void {
    const o = this.o;
    const pinoLevel = level === 'warning' ? 'warn' : level;
    o.log[pinoLevel]({ unit: o.unit, experiment: o.experiment, job: JOB_NAME, automation: this.automationName }, message);
    if (this.closed) return;
    const body = { message, task: JOB_NAME, source: 'app', level: level.toUpperCase(), timestamp: formatTimestamp(o.clock.now()) };
    this.client.publish(topics.log(o.unit, o.experiment, JOB_NAME, level), JSON.stringify(body), { qos: 0 });
  }

  private settingsChanged(s: Record<string, unknown>): void {
    const now = this.o.clock.now();
    // close the previous interval (pioreactor-mqtt.md §3.5)
    if (this.lastSettings) this.publishSettings(this.lastSettings, this.settingsSince, now);
    this.lastSettings = s;
    this.settingsSince = now;
    this.o.onSettings?.(s);
  }

  private publishSettings(s: Record<string, unknown>, from: number, to: number | null): void {
    if (this.closed) return;
    const o = this.o;
    const body = {
      pioreactor_unit: o.unit,
      experiment: o.experiment,
      started_at: formatTimestamp(from),
      ended_at: to === null ? null : formatTimestamp(to),
      automation_name: this.automationName,
      settings: Buffer.from(JSON.stringify(s)).toString('base64'),
    };
    this.client.publish(this.t(`${JOB_NAME}_settings`), JSON.stringify(body), { qos: 2 });
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    try {
      this.handle(topic, payload, retained);
    } catch (e) {
      this.logLine('warning', `${topic}: ${(e as Error).message}`);
    }
  }

  private handle(topic: string, payload: Buffer, retained: boolean): void {
    const a = this.automation;
    const p = topic.split('/');
    const text = payload.toString();
    if (p[3] === JOB_NAME && p[p.length - 1] === 'set' && p.length === 6) {
      if (retained) return; // jobs ignore retained /set
      const setting = p[4];
      if (setting === '$state') {
        if (text === 'disconnected') this.o.onStopRequested?.();
        else if (text === 'sleeping' || text === 'ready') a.setState(text);
        return;
      }
      a.setSetting(setting, text);
      return;
    }
    if (topic === this.t('$state')) {
      // self-healing: our own retained state says lost while we are alive
      if (text === 'lost' && !this.closed && this.state !== 'init') {
        this.o.clock.setTimeout(() => !this.closed && this.client.publish(this.t('$state'), this.state, { qos: 2, retain: true }), 1000);
      }
      return;
    }
    if (p[3] === 'bioreactor') {
      const v = Number(text);
      if (text.trim() !== '' && Number.isFinite(v)) a.feedBioreactor(p[4], v);
      return;
    }
    if (retained || text === '') return; // only fresh readings trigger
    const now = this.o.clock.now();
    if (p[3] === 'growth_rate_calculating' && p[4] === 'od_filtered') {
      const r = parsePayload(ODFiltered, payload);
      if (r.ok) a.feedNormalizedOd(r.value.od_filtered, now);
    } else if (p[3] === 'growth_rate_calculating' && p[4] === 'growth_rate') {
      const r = parsePayload(GrowthRate, payload);
      if (r.ok) a.feedGrowthRate(r.value.growth_rate, now);
    } else if (p[3] === 'od_reading' && p[4] === 'od_fused') {
      const r = parsePayload(ODFused, payload);
      if (r.ok) {
        if (a instanceof Turbidostat) a.fusedOd = true;
        a.feedOdFused(r.value.od_fused, now);
      }
    } else if (p[3] === 'od_reading' && /^od[1-4]$/.test(p[4])) {
      const r = parsePayload(ODReading, payload);
      if (r.ok) {
        if (a instanceof Turbidostat && r.value.calibrated === 1) a.calibratedOd = true;
        a.feedOd(p[4].slice(2), r.value.od, now);
      }
    }
  }

  /** Stop cleanly: `disconnected`, pumps aborted, settings interval closed, graceful disconnect (no will). */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.automation?.stop();
    if (this.lastSettings) this.publishSettings({ ...this.lastSettings, state: 'disconnected' }, this.settingsSince, this.o.clock.now());
    this.closed = true;
    if (this.client) {
      await this.client.publishAsync(this.t('$state'), 'disconnected', { qos: 2, retain: true }).catch(() => undefined);
      await this.client.endAsync().catch(() => undefined);
    }
  }

  /** Leader shutdown: stop the automation's timers and drop the connection without touching the retained state. */
  async detach(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.automation?.stop();
    // no DISCONNECT: the broker publishes our will (`lost`) while the leader is away; a restart re-publishes
    if (this.client) {
      this.client.options.reconnectPeriod = 0;
      await new Promise<void>((r) => this.client.end(true, {}, () => r()));
    }
  }

  /** Tests: drop the connection without DISCONNECT, so the broker sends the will. */
  crashForTest(): void {
    this.closed = true;
    this.automation?.stop();
    this.client.options.reconnectPeriod = 0;
    this.client.end(true);
  }
}
