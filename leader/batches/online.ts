/**
 * Online phase detection: for every (experiment, unit) whose growth rate arrives on
 * `pioreactor/{unit}/{exp}/growth_rate_calculating/growth_rate` (a separate MQTT subscription of the
 * leader), a StreamingPhaseLabeller consumes the stream. Its state (toJSON) is persisted in
 * analytics_phase_state after every sample, so a leader restart resumes where it stopped.
 *
 * On a phase change: the annotation goes to analytics_phase_events and to `phases` (method `streaming`)
 * of the run's batch `run:{exp}:{unit}`; the unit's `phase_detection` job publishes `phase` and
 * `phase_started_at` (retained) over its OWN MQTT connection, whose last will is `lost` on
 * `pioreactor/{unit}/{exp}/phase_detection/$state`; a log line goes to the leader log and the unit's MQTT
 * log; and the bus gets `phase.changed`. `/api/experiments/{exp}/phases` reads the tables.
 *
 * Demo speed-up (`[colony] speed` = S): the simulated culture runs S times faster in wall time, so the
 * growth rate (per wall hour) is S times larger and phases are S times shorter. The labeller's levels are
 * relative (fractions of the run's maximum), but its smoothing and debouncing are in hours, so time is
 * scaled to culture hours (wall hours x S) and rates back to per culture hour (rate / S). With S = 1
 * nothing changes. (Tested: the same culture at speed 1 and 60 gives the same phases.)
 */
import type { Statement } from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { randomId } from '../../shared/ids.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { GrowthRate, parsePayload } from '../../shared/payloads.js';
import { formatTimestamp, parseTimestamp } from '../../shared/timestamps.js';
import { StreamingPhaseLabeller, type StreamingPhaseConfig, type StreamingPhaseState } from '../analytics/streaming-phases.js';
import { MS_PER_HOUR } from '../analytics/types.js';
import { LeaderBus } from '../bus.js';
import type { Db } from '../db/open.js';
import { LeaderHostedJob, mqttOptions } from './job-connection.js';
import { runBatchId } from './schema.js';

export const PHASE_JOB = 'phase_detection';
export const GROWTH_RATE_TOPIC = 'pioreactor/+/+/growth_rate_calculating/growth_rate';

export interface OnlinePhaseOptions {
  db: Db;
  /** Broker URL and credentials; without them nothing is published (tests of the labelling). */
  brokerUrl?: string;
  username?: string;
  password?: string;
  log: ColonyLogger;
  bus?: LeaderBus;
  /** `[colony] speed` of the simulated units (1 on real hardware). */
  speed?: number;
  labeller?: Partial<StreamingPhaseConfig>;
}

interface Run {
  labeller: StreamingPhaseLabeller;
  job: LeaderHostedJob | null;
  /** Wall-clock ms of the last persisted state, and what to persist when it is next due. */
  savedAt: number;
  pending: { phase: string; startedAt: string | null; atMs: number } | null;
}

/**
 * How often a run's labeller state is written (and on every phase change and at stop). Writing it for every
 * growth-rate sample cost a transaction and a JSON dump per reading on ingest's hot path.
 */
const SAVE_EVERY_MS = 30_000;

export class OnlinePhaseService {
  readonly bus: LeaderBus;
  private readonly runs = new Map<string, Run>();
  private sub: MqttClient | null = null;
  private closed = false;
  private readonly speed: number;

  constructor(private readonly o: OnlinePhaseOptions) {
    this.bus = o.bus ?? new LeaderBus();
    this.speed = o.speed && o.speed > 0 ? o.speed : 1;
  }

  async start(): Promise<void> {
    if (!this.o.brokerUrl) return;
    this.sub = await mqtt.connectAsync(this.o.brokerUrl, { ...mqttOptions(this.o), clientId: `colony-phases-${randomId(6)}`, clean: true });
    this.sub.on('error', (e) => this.o.log.warn({ err: e.message }, 'phase detection: mqtt error'));
    this.sub.on('message', (topic, payload, packet) => {
      if (packet.retain) return; // an old retained sample is not a new observation
      const p = topic.split('/');
      const r = parsePayload(GrowthRate, payload);
      if (!r.ok) return;
      let at: number;
      try {
        at = parseTimestamp(r.value.timestamp);
      } catch {
        return;
      }
      void this.observe(p[2], p[1], at, r.value.growth_rate).catch((e: Error) => this.o.log.warn({ err: e.message, topic }, 'phase detection: a sample failed'));
    });
    await this.sub.subscribeAsync(GROWTH_RATE_TOPIC, { qos: 1 });
  }

  private key(experiment: string, unit: string): string {
    return `${experiment}\u0000${unit}`;
  }

  private load(experiment: string, unit: string): StreamingPhaseLabeller {
    const row = this.o.db.prepare('SELECT state FROM analytics_phase_state WHERE experiment = ? AND pioreactor_unit = ?').pluck().get(experiment, unit) as string | undefined;
    if (row) {
      try {
        return StreamingPhaseLabeller.fromJSON(JSON.parse(row) as StreamingPhaseState);
      } catch (e) {
        this.o.log.warn({ experiment, unit, err: (e as Error).message }, 'phase detection: stored state unreadable, starting over');
      }
    }
    return new StreamingPhaseLabeller(this.o.labeller);
  }

  private saveStmt: Statement | null = null;

  /** Persist a run's labeller state (what a restart resumes from). */
  private save(experiment: string, unit: string, run: Run): void {
    const p = run.pending;
    if (!p) return;
    this.saveStmt ??= this.o.db.prepare(
      `INSERT INTO analytics_phase_state (experiment, pioreactor_unit, state, phase, phase_started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (experiment, pioreactor_unit) DO UPDATE SET state = excluded.state, phase = excluded.phase,
         phase_started_at = excluded.phase_started_at, updated_at = excluded.updated_at`,
    );
    this.saveStmt.run(experiment, unit, JSON.stringify(run.labeller.toJSON()), p.phase, p.startedAt, formatTimestamp(p.atMs));
    run.savedAt = Date.now();
    run.pending = null;
  }

  /** One growth-rate sample (epoch ms, 1/h per wall hour) of a unit in an experiment. */
  async observe(experiment: string, unit: string, atMs: number, rate: number): Promise<void> {
    if (this.closed) return;
    const k = this.key(experiment, unit);
    let run = this.runs.get(k);
    const fresh = !run;
    if (!run) {
      run = { labeller: this.load(experiment, unit), job: null, savedAt: 0, pending: null };
      this.runs.set(k, run);
    }
    const l = run.labeller;
    const u = l.update((atMs * this.speed) / MS_PER_HOUR, rate / this.speed);
    const hist = l.history();
    const last = hist[hist.length - 1];
    const startedAt = last ? formatTimestamp((last.startHours * MS_PER_HOUR) / this.speed) : null;
    run.pending = { phase: u.phase, startedAt, atMs };
    if (fresh || u.changed || Date.now() - run.savedAt >= SAVE_EVERY_MS) this.save(experiment, unit, run);
    if (fresh) {
      run.job = this.closed ? null : await LeaderHostedJob.open(this.o, unit, experiment, PHASE_JOB, this.o.log);
      this.publish(run, experiment, unit, u.phase, startedAt);
    }
    if (!u.changed || !startedAt) return;
    this.o.db.transaction(() => {
      this.o.db
        .prepare('INSERT INTO analytics_phase_events (experiment, pioreactor_unit, phase, started_at, detected_at) VALUES (?, ?, ?, ?, ?)')
        .run(experiment, unit, u.phase, startedAt, formatTimestamp(atMs));
      this.writeBatchPhases(experiment, unit, hist.map((h) => ({ phase: h.phase, startMs: (h.startHours * MS_PER_HOUR) / this.speed })), atMs);
    })();
    this.publish(run, experiment, unit, u.phase, startedAt);
    const msg = `${unit} entered the ${u.phase} phase at ${startedAt} (smoothed growth rate ${u.smoothedRate.toFixed(3)} /h)`;
    this.o.log.info({ unit, experiment, phase: u.phase, phase_started_at: startedAt }, msg);
    run.job?.logLine('info', msg, atMs);
    this.bus.emit('phase.changed', { unit, experiment, phase: u.phase, at: parseTimestamp(startedAt) });
  }

  private publish(run: Run, experiment: string, unit: string, phase: string, startedAt: string | null): void {
    if (!run.job || this.closed) return;
    run.job.setting('phase', phase);
    run.job.setting('phase_started_at', startedAt ?? '');
  }

  /** The committed phases so far as the run batch's `streaming` annotations (the last one open until now). */
  private writeBatchPhases(experiment: string, unit: string, hist: { phase: string; startMs: number }[], nowMs: number): void {
    const id = runBatchId(experiment, unit);
    const created = this.o.db.prepare('SELECT created_at FROM experiments WHERE experiment = ?').pluck().get(experiment) as string | undefined;
    const origin = created ? parseTimestamp(created) : (hist[0]?.startMs ?? nowMs);
    const ins = this.o.db.prepare(
      `INSERT INTO phases (batch_id, phase, start_h, end_h, confidence, start_ts, end_ts, signal_variable, method, growth_rate, seq)
       VALUES (?, ?, ?, ?, NULL, ?, ?, 'growth_rate', 'streaming', NULL, ?)`,
    );
    this.o.db.prepare("DELETE FROM phases WHERE batch_id = ? AND method = 'streaming'").run(id);
    hist.forEach((h, i) => {
      const end = i + 1 < hist.length ? hist[i + 1].startMs : nowMs;
      ins.run(id, h.phase, (h.startMs - origin) / MS_PER_HOUR, (end - origin) / MS_PER_HOUR, formatTimestamp(h.startMs), formatTimestamp(end), i);
    });
  }

  /** Current phase of every run of an experiment. */
  current(experiment: string): { unit: string; phase: string; phase_started_at: string | null }[] {
    return (
      this.o.db.prepare('SELECT pioreactor_unit AS unit, phase, phase_started_at FROM analytics_phase_state WHERE experiment = ? ORDER BY pioreactor_unit').all(experiment) as {
        unit: string;
        phase: string;
        phase_started_at: string | null;
      }[]
    );
  }

  /**
   * Leader shutdown: drop the job connections without DISCONNECT, so the broker publishes each job's will
   * (`lost`) while the leader is away; the next growth rate after a restart publishes `ready` again.
   */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [k, r] of this.runs) {
      const [experiment, unit] = k.split('\u0000');
      try {
        this.save(experiment, unit, r);
      } catch (e) {
        this.o.log.warn({ unit, err: (e as Error).message }, 'phase detection: could not save state at stop');
      }
    }
    const ends: Promise<void>[] = [];
    for (const r of this.runs.values()) if (r.job) ends.push(r.job.drop());
    if (this.sub) ends.push(this.sub.endAsync().catch(() => undefined));
    await Promise.all(ends);
    this.runs.clear();
  }
}

export async function startOnlinePhases(o: OnlinePhaseOptions): Promise<OnlinePhaseService> {
  const s = new OnlinePhaseService(o);
  await s.start();
  return s;
}
