/**
 * Runs dosing automations on the leader, one `dosing_automation` job per unit, and implements the `/api`'s
 * `LeaderJobs` hook. Pumps are commanded through the agent's `pumps.dose` request (docs/protocol.md §3), which
 * answers when the pump has finished; every step is written to `colony_dosing_steps` before it is sent and
 * marked with the agent's answer. Running automations live in `colony_leader_jobs`, so a restarted leader
 * resumes them with the same settings and timer phase. A step that was sent but never answered before the
 * restart is not repeated: its automation comes back paused (sleeping) with an error in the log.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import type { LeaderBus } from '../bus.js';
import { withFullSync, type Db } from '../db/open.js';
import type { LeaderJobs } from '../http/context.js';
import type { UnitRequestClient } from '../units/request-client.js';
import { maxFillFor, PUMP_JOB, type DoseRequest, type PumpExecutor } from './base.js';
import type { AutomationDescriptor } from './descriptors.js';
import { AutomationRegistry } from './registry.js';
import { AutomationJob, JOB_NAME } from './wire.js';

export class LeaderJobError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'LeaderJobError';
  }
}

export interface AutomationManagerOptions {
  db: Db;
  units: Pick<UnitRequestClient, 'call'>;
  clock: Clock;
  log: ColonyLogger;
  config: ColonyConfig;
  dataDir: string;
  brokerUrl: string;
  username: string;
  password: string;
  bus?: LeaderBus;
  /** Replace the agent request path (tests). */
  pumps?: (unit: string, experiment: string) => PumpExecutor;
}

interface JobRow {
  pioreactor_unit: string;
  job_name: string;
  experiment: string;
  automation_name: string;
  settings: string;
  state: string;
  started_at: string;
  last_run_at: number | null;
}

export class AutomationManager implements LeaderJobs {
  readonly registry: AutomationRegistry;
  private readonly jobs = new Map<string, AutomationJob>();
  private stopping = false;

  constructor(private readonly o: AutomationManagerOptions) {
    this.registry = new AutomationRegistry(o.log);
  }

  /** Discover plugins and resume the automations that were running. */
  async start(): Promise<void> {
    await this.registry.loadPlugins(join(this.o.dataDir, 'plugins'));
    const rows = this.o.db.prepare('SELECT * FROM colony_leader_jobs').all() as JobRow[];
    for (const r of rows) {
      const unanswered = this.o.db
        .prepare("SELECT id, pump, ml FROM colony_dosing_steps WHERE pioreactor_unit = ? AND status = 'requested'")
        .all(r.pioreactor_unit) as Array<{ id: string; pump: string; ml: number }>;
      if (unanswered.length) {
        this.o.db.prepare("UPDATE colony_dosing_steps SET status = 'unknown', error = 'leader restarted before the unit answered' WHERE pioreactor_unit = ? AND status = 'requested'").run(r.pioreactor_unit);
      }
      try {
        const settings = JSON.parse(r.settings) as Record<string, unknown>;
        const state = unanswered.length || r.state === 'sleeping' ? 'sleeping' : 'ready';
        const job = await this.launch(r.pioreactor_unit, r.experiment, r.automation_name, settings, r.last_run_at, state, r.started_at);
        if (unanswered.length) {
          const what = unanswered.map((s) => `${s.pump} ${s.ml} mL`).join(', ');
          job.logLine('error', `the leader restarted while a pump step was unconfirmed (${what}); it is not repeated. Paused: check the vial, then resume.`);
        }
        this.o.log.info({ unit: r.pioreactor_unit, automation: r.automation_name, state }, 'resumed dosing automation');
      } catch (e) {
        this.o.log.error({ unit: r.pioreactor_unit, err: (e as Error).message }, 'could not resume dosing automation');
      }
    }
  }

  /** Leader shutdown: detach every automation (kept in the database, resumed at the next start). */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.jobs.values()].map((j) => j.detach()));
    this.jobs.clear();
  }

  listDosingDescriptors(): AutomationDescriptor[] {
    return this.registry.descriptors();
  }

  /** The running job of a unit (tests, /api). */
  job(unit: string): AutomationJob | undefined {
    return this.jobs.get(unit);
  }

  // ---- LeaderJobs -----------------------------------------------------------------------------

  handles(jobName: string): boolean {
    return jobName === JOB_NAME;
  }

  async run(unit: string, experiment: string, jobName: string, options: Record<string, unknown>): Promise<unknown> {
    if (!this.handles(jobName)) throw new LeaderJobError('not_found', `${jobName} is not a leader-hosted job`);
    if (this.jobs.has(unit)) throw new LeaderJobError('conflict', `${jobName} is already running on ${unit}`);
    const { automation_name, ...rest } = options;
    if (typeof automation_name !== 'string' || !automation_name) throw new LeaderJobError('bad_request', 'automation_name is required');
    const cls = this.registry.get(automation_name);
    if (!cls) throw new LeaderJobError('bad_request', `unknown dosing automation "${automation_name}" (known: ${this.registry.names().join(', ')})`);
    const r = cls.settings.safeParse(rest);
    if (!r.success) throw new LeaderJobError('bad_request', r.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; '));
    const job = await this.launch(unit, experiment, automation_name, r.data, null, 'ready', formatTimestamp(this.o.clock.now()));
    return { job_name: JOB_NAME, unit, experiment, automation_name, state: job.state };
  }

  private async stop_(unit: string): Promise<boolean> {
    const job = this.jobs.get(unit);
    this.o.db.prepare('DELETE FROM colony_leader_jobs WHERE pioreactor_unit = ? AND job_name = ?').run(unit, JOB_NAME);
    if (!job) return false;
    this.jobs.delete(unit);
    await job.stop();
    return true;
  }

  async stop(unit: string, experiment: string, jobName: string): Promise<boolean> {
    if (!this.handles(jobName)) return false;
    const job = this.jobs.get(unit);
    if (job && experiment !== '$experiment' && job.experiment !== experiment) return false;
    return this.stop_(unit);
  }

  async update(unit: string, experiment: string, jobName: string, settings: Record<string, unknown>): Promise<void> {
    const job = this.jobs.get(unit);
    if (!job || !this.handles(jobName) || (experiment !== '$experiment' && job.experiment !== experiment)) {
      throw new LeaderJobError('not_found', `${jobName} is not running on ${unit}`);
    }
    for (const [k, v] of Object.entries(settings)) {
      if (k === '$state' || k === 'state') {
        if (v === 'disconnected') await this.stop_(unit);
        else if (v === 'sleeping' || v === 'ready') job.automation.setState(v);
        else throw new LeaderJobError('bad_request', `unknown state ${String(v)}`);
        continue;
      }
      try {
        job.automation.setSetting(k, v);
      } catch (e) {
        throw new LeaderJobError('bad_request', (e as Error).message);
      }
    }
  }

  running(unit: string): Array<{ job_name: string; experiment: string; settings: Record<string, unknown> }> {
    const job = this.jobs.get(unit);
    if (!job) return [];
    const a = job.automation;
    return [
      {
        job_name: JOB_NAME,
        experiment: job.experiment,
        settings: { automation_name: job.automationName, ...a.settings, $state: a.state, latest_event: a.latestEvent, started_at: formatTimestamp(job.startedAt) },
      },
    ];
  }

  // ---- internals -----------------------------------------------------------------------------

  private maxFill(unit: string): number {
    const c = this.o.config.bioreactor.max_working_volume_ml;
    if (c !== undefined) return c;
    const w = this.o.db.prepare('SELECT model_name FROM workers WHERE pioreactor_unit = ?').get(unit) as { model_name: string | null } | undefined;
    return maxFillFor(w?.model_name ?? this.o.config.colony.model);
  }

  private async launch(unit: string, experiment: string, name: string, settings: Record<string, unknown>, lastRunAt: number | null, state: 'ready' | 'sleeping', startedAt: string): Promise<AutomationJob> {
    const cls = this.registry.get(name);
    if (!cls) throw new Error(`unknown dosing automation "${name}"`);
    const c = this.o.config;
    const dc = c['dosing_automation.config'];
    const db = this.o.db;
    const save = db.prepare(
      `INSERT INTO colony_leader_jobs (pioreactor_unit, job_name, experiment, automation_name, settings, state, started_at, last_run_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pioreactor_unit, job_name) DO UPDATE SET experiment = excluded.experiment,
       automation_name = excluded.automation_name, settings = excluded.settings, state = excluded.state, last_run_at = excluded.last_run_at`,
    );
    const ref: { job?: AutomationJob } = {};
    const persist = () => {
      const job = ref.job;
      if (!job) return;
      if (this.stopping || this.jobs.get(unit) !== job) return;
      const a = job.automation;
      if (a.state === 'disconnected' || a.state === 'lost' || a.state === 'init') return;
      withFullSync(db, () => save.run(unit, JOB_NAME, experiment, name, JSON.stringify(a.settings), a.state, startedAt, a.lastRunAt));
    };
    const job = new AutomationJob({
      unit,
      experiment,
      brokerUrl: this.o.brokerUrl,
      username: this.o.username,
      password: this.o.password,
      cls,
      settings,
      pumps: this.o.pumps ? this.o.pumps(unit, experiment) : this.agentPumps(unit, experiment, name),
      clock: this.o.clock,
      log: this.o.log,
      bus: this.o.bus,
      limits: { maxSubdoseMl: dc.max_subdose, wasteRemovalMultiplier: dc.waste_removal_multiplier, pauseBetweenSubdosesS: dc.pause_between_subdoses_seconds, maxFillMl: this.maxFill(unit) },
      vial: { current_volume_ml: c.bioreactor.initial_volume_ml, efflux_tube_volume_ml: c.bioreactor.efflux_tube_volume_ml, alt_media_fraction: c.bioreactor.initial_alt_media_fraction },
      lastRunAt,
      config: c as unknown as Record<string, Record<string, unknown>>,
      initialState: state,
      onRun: persist,
      onState: persist,
      onSettings: persist,
      onStopRequested: () => void this.stop_(unit),
    });
    ref.job = job;
    this.jobs.set(unit, job);
    try {
      // row first, so a crash during start still resumes the job
      withFullSync(db, () => save.run(unit, JOB_NAME, experiment, name, JSON.stringify(settings), state, startedAt, lastRunAt));
      await job.start();
      persist();
    } catch (e) {
      this.jobs.delete(unit);
      db.prepare('DELETE FROM colony_leader_jobs WHERE pioreactor_unit = ? AND job_name = ?').run(unit, JOB_NAME);
      await job.detach().catch(() => undefined);
      throw e;
    }
    return job;
  }

  /** Dose through the agent: the step is recorded before it is sent, and marked with the answer. */
  private agentPumps(unit: string, experiment: string, automation: string): PumpExecutor {
    const db = this.o.db;
    const clock = this.o.clock;
    return {
      dose: async (req: DoseRequest) => {
        const id = randomUUID();
        withFullSync(db, () =>
          db
            .prepare("INSERT INTO colony_dosing_steps (id, pioreactor_unit, experiment, automation_name, pump, ml, status, requested_at) VALUES (?, ?, ?, ?, ?, ?, 'requested', ?)")
            .run(id, unit, experiment, automation, PUMP_JOB[req.pump], req.ml, formatTimestamp(clock.now())),
        );
        try {
          // the uncalibrated curve is ~0.09 mL/s: allow for it plus the agent's margin
          const timeout = 15_000 + req.ml * 15_000;
          const r = (await this.o.units.call(unit, 'pumps.dose', { pump: req.pump, ml: req.ml, source_of_event: req.sourceOfEvent, experiment }, timeout)) as { moved_ml?: unknown };
          const moved = Number(r?.moved_ml);
          if (!Number.isFinite(moved)) throw new Error('the unit answered without moved_ml');
          withFullSync(db, () => db.prepare("UPDATE colony_dosing_steps SET status = 'confirmed', moved_ml = ?, finished_at = ? WHERE id = ?").run(moved, formatTimestamp(clock.now()), id));
          this.o.bus?.emit('dosing.confirmed', { unit, experiment, pump: req.pump, ml: req.ml, moved });
          return moved;
        } catch (e) {
          db.prepare("UPDATE colony_dosing_steps SET status = 'failed', error = ?, finished_at = ? WHERE id = ?").run((e as Error).message, formatTimestamp(clock.now()), id);
          throw e;
        }
      },
    };
  }
}
