/**
 * Runs experiment profiles (reference/pioreactor-api.md §7) on the leader's Clock. Each action has a stable key
 * (`<scope>/<job>/<index>`, with `#<n>` for a repeat's iteration and `!` for a `when`'s body); a key is written to
 * `colony_profile_runs.done` BEFORE the action is sent (at most once), so a restarted leader resumes the run from
 * the same start time and never doubles an action (overdue actions run at once, in order). Units get actions
 * through `ctx.units` (`jobs.run`/`jobs.stop`), `$state/set` and `/set` publishes, or the leader's own jobs
 * (dosing automations) through `LeaderJobs`. The run publishes
 * `pioreactor/{leader}/{exp}/experiment_profile/{job_id}/experiment_profile_name` like Pioreactor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { randomId } from '../../shared/ids.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics } from '../../shared/topics.js';
import type { LeaderBus } from '../bus.js';
import { withFullSync, type Db } from '../db/open.js';
import type { LeaderJobs } from '../http/context.js';
import { evaluate, evaluateBool, interpolate, type ExprContext } from './expr.js';
import { actionOffsetMs, parseProfile, ProfileError, timeToMs, type Action, type BasicAction, type Profile, type Repeat, type When } from './schema.js';

export const PROFILE_JOB = 'experiment_profile';
const WHEN_POLL_MS = 5000;

export interface ProfileDeps {
  db: Db;
  clock: Clock;
  log: ColonyLogger;
  dataDir: string;
  leaderUnit: string;
  publish(topic: string, payload: string, opts: { qos: 0 | 1 | 2; retain?: boolean }): void;
  units: { call(unit: string, method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<unknown> };
  leaderJobs(): LeaderJobs | null;
  bus?: LeaderBus;
  /** Latest value of a unit's setting (MQTT lookups in expressions). */
  lookup?(unit: string, job: string, setting: string): Promise<unknown>;
}

export interface RunInfo {
  job_id: string;
  experiment_profile_name: string;
  file: string;
  experiment: string;
  started_at: string;
  state: string;
}

interface RunRow {
  id: string;
  profile_name: string;
  file: string;
  experiment: string;
  started_at: number;
  state: string;
  profile: string;
  done: string;
}

class Run {
  readonly timers = new Set<TimerHandle>();
  /** Branches still pending (timers, repeats, whens); the run ends when it reaches 0. */
  pending = 0;
  stopped = false;
  readonly done: Record<string, number>;
  private unsubscribe: (() => void) | null = null;
  private readonly whenChecks = new Set<() => void>();

  constructor(
    readonly runner: ProfileRunner,
    readonly id: string,
    readonly file: string,
    readonly experiment: string,
    readonly startedAt: number,
    readonly profile: Profile,
    done: Record<string, number>,
  ) {
    this.done = done;
    const bus = runner.deps.bus;
    if (bus) this.unsubscribe = bus.onAny((name) => name !== 'profile.action' && this.whenChecks.forEach((f) => f()));
  }

  get d(): ProfileDeps {
    return this.runner.deps;
  }

  ctx(unit: string | null, job: string | null): ExprContext {
    return {
      inputs: this.profile.inputs,
      env: process.env as Record<string, unknown>,
      unit,
      experiment: this.experiment,
      jobName: job,
      hoursElapsed: (this.d.clock.now() - this.startedAt) / 3_600_000,
      lookup: this.d.lookup,
    };
  }

  at(dueMs: number, fn: () => void | Promise<void>): void {
    this.pending++;
    const h = this.d.clock.setTimeout(
      () => {
        this.timers.delete(h);
        if (this.stopped) return;
        void Promise.resolve()
          .then(fn)
          .catch((e) => this.d.log.error({ run: this.id, err: (e as Error).message }, 'profile action failed'))
          .finally(() => this.release());
      },
      Math.max(0, dueMs - this.d.clock.now()),
    );
    this.timers.add(h);
  }

  release(): void {
    this.pending--;
    if (this.pending === 0 && !this.stopped) this.runner.finish(this, 'finished');
  }

  /** Record the key before acting (at most once). False if it already ran. */
  claim(key: string): boolean {
    if (key in this.done) return false;
    this.done[key] = this.d.clock.now();
    withFullSync(this.d.db, () => this.d.db.prepare('UPDATE colony_profile_runs SET done = ? WHERE id = ?').run(JSON.stringify(this.done), this.id));
    return true;
  }

  schedule(): void {
    this.pending++; // held until every top-level action is scheduled
    for (const [scope, unit, job, actions] of this.targets()) {
      actions.forEach((a, i) => this.scheduleAction(a, `${scope}/${job}/${i}`, unit, job, this.startedAt));
    }
    this.release();
  }

  private targets(): Array<[string, string, string, Action[]]> {
    const out: Array<[string, string, string, Action[]]> = [];
    const common = this.profile.common.jobs;
    if (Object.keys(common).length) {
      for (const unit of this.runner.assignedUnits(this.experiment)) {
        for (const [job, spec] of Object.entries(common)) out.push([`common:${unit}`, unit, job, spec.actions]);
      }
    }
    for (const [unit, spec] of Object.entries(this.profile.pioreactors)) {
      for (const [job, j] of Object.entries(spec.jobs)) out.push([unit, unit, job, j.actions]);
    }
    return out;
  }

  scheduleAction(a: Action, key: string, unit: string, job: string, base: number): void {
    const due = base + actionOffsetMs(a);
    if (a.type === 'repeat') this.at(due, () => this.repeat(a, key, unit, job, due));
    else if (a.type === 'when') this.at(due, () => this.when(a, key, unit, job));
    else this.at(due, () => this.basic(a, key, unit, job));
  }

  private async basic(a: BasicAction, key: string, unit: string, job: string): Promise<void> {
    if (key in this.done) return;
    const c = this.ctx(unit, job);
    if (!(await evaluateBool(a.if, c))) {
      this.claim(key);
      return;
    }
    if (!this.claim(key)) return;
    await this.runner.perform(this, a, unit, job, c);
    this.d.bus?.emit('profile.action', { runId: this.id, profile: this.profile.experiment_profile_name, experiment: this.experiment, unit, job, type: a.type, key });
  }

  private async repeat(a: Repeat, key: string, unit: string, job: string, start: number): Promise<void> {
    const every = a.every !== undefined ? timeToMs(a.every) : a.repeat_every_hours! * 3_600_000;
    const max = a.max_time !== undefined ? timeToMs(a.max_time) : a.max_hours !== undefined ? a.max_hours * 3_600_000 : Infinity;
    if (!(await evaluateBool(a.if, this.ctx(unit, job)))) return;
    // iteration n starts at start + n*every; resume at the first iteration not yet claimed
    let n = 0;
    while (`${key}#${n}` in this.done) n++;
    const iterate = async (k: number): Promise<void> => {
      const t0 = start + k * every;
      if (t0 - start > max) return;
      if (!(`${key}#${k}` in this.done)) {
        if (!(await evaluateBool(a.while, this.ctx(unit, job)))) return;
        this.claim(`${key}#${k}`);
        a.actions.forEach((sub, i) => this.scheduleAction(sub, `${key}#${k}/${i}`, unit, job, t0));
      }
      this.at(t0 + every, () => iterate(k + 1));
    };
    // sub-actions of claimed iterations that had not run yet are rescheduled (their own keys guard them)
    for (let k = 0; k < n; k++) a.actions.forEach((sub, i) => !(`${key}#${k}/${i}` in this.done) && this.scheduleAction(sub, `${key}#${k}/${i}`, unit, job, start + k * every));
    await iterate(n);
  }

  private when(a: When, key: string, unit: string, job: string): Promise<void> {
    const fired = this.done[`${key}!`];
    if (fired !== undefined) {
      a.actions.forEach((sub, i) => this.scheduleAction(sub, `${key}!/${i}`, unit, job, fired));
      return Promise.resolve();
    }
    const cond = a.wait_until ?? a.condition!;
    this.pending++;
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      let busy = false;
      const check = async () => {
        if (this.stopped || busy) return;
        busy = true;
        try {
          const ok = await evaluate(cond, this.ctx(unit, job)).catch((e: Error) => {
            this.d.log.warn({ run: this.id, key, err: e.message }, 'when: condition failed');
            return false;
          });
          if (ok && !this.stopped && this.claim(`${key}!`)) {
            this.whenChecks.delete(check);
            if (timer) this.d.clock.clear(timer);
            const now = this.d.clock.now();
            a.actions.forEach((sub, i) => this.scheduleAction(sub, `${key}!/${i}`, unit, job, now));
            this.release();
            resolve();
            return;
          }
        } finally {
          busy = false;
        }
        if (!this.stopped) timer = this.d.clock.setTimeout(() => void check(), WHEN_POLL_MS);
      };
      this.whenChecks.add(() => void check());
      void check();
    });
  }

  cancel(): void {
    this.stopped = true;
    for (const t of this.timers) this.d.clock.clear(t);
    this.timers.clear();
    this.whenChecks.clear();
    this.unsubscribe?.();
  }
}

export class ProfileRunner {
  private readonly runs = new Map<string, Run>();

  constructor(readonly deps: ProfileDeps) {}

  get dir(): string {
    return join(this.deps.dataDir, 'experiment_profiles');
  }

  /** Read and validate a stored profile (the name is a file name inside experiment_profiles/). */
  load(name: string): { file: string; profile: Profile } {
    const file = basename(name);
    if (file !== name || !/\.ya?ml$/.test(file) || file.startsWith('.')) throw new ProfileError(`invalid profile file name ${JSON.stringify(name)}`);
    const path = join(this.dir, file);
    if (!existsSync(path)) throw new ProfileError(`no profile ${file}`);
    return { file, profile: parseProfile(readFileSync(path, 'utf8')) };
  }

  /** Start a stored profile for an experiment; returns the run's job_id. */
  run(name: string, experiment: string): RunInfo {
    const { file, profile } = this.load(name);
    return this.start(file, profile, experiment);
  }

  /** Start a profile given as an object (already validated). */
  start(file: string, profile: Profile, experiment: string): RunInfo {
    const d = this.deps;
    const id = randomId(12).toLowerCase();
    const now = d.clock.now();
    withFullSync(d.db, () => {
      d.db
        .prepare("INSERT INTO colony_profile_runs (id, profile_name, file, experiment, started_at, state, profile, done) VALUES (?, ?, ?, ?, ?, 'running', ?, '{}')")
        .run(id, profile.experiment_profile_name, file, experiment, now, JSON.stringify(profile));
      d.db.prepare('INSERT INTO experiment_profile_runs (started_at, experiment_profile_name, experiment) VALUES (?, ?, ?)').run(formatTimestamp(now), profile.experiment_profile_name, experiment);
    });
    const run = new Run(this, id, file, experiment, now, profile, {});
    this.begin(run);
    return this.info(run, 'running');
  }

  /** Resume runs that were running when the leader stopped. */
  resume(): void {
    const rows = this.deps.db.prepare("SELECT * FROM colony_profile_runs WHERE state = 'running'").all() as RunRow[];
    for (const r of rows) {
      try {
        const run = new Run(this, r.id, r.file, r.experiment, r.started_at, JSON.parse(r.profile) as Profile, JSON.parse(r.done) as Record<string, number>);
        this.begin(run);
        this.deps.log.info({ run: r.id, profile: r.profile_name }, 'resumed experiment profile');
      } catch (e) {
        this.deps.log.error({ run: r.id, err: (e as Error).message }, 'could not resume a profile: stopping it');
        this.deps.db.prepare("UPDATE colony_profile_runs SET state = 'failed', ended_at = ? WHERE id = ?").run(this.deps.clock.now(), r.id);
      }
    }
  }

  private begin(run: Run): void {
    this.runs.set(run.id, run);
    this.publishMeta(run, 'ready');
    this.deps.bus?.emit('profile.state', { runId: run.id, profile: run.profile.experiment_profile_name, experiment: run.experiment, state: 'running' });
    run.schedule();
  }

  private publishMeta(run: Run, state: string): void {
    const d = this.deps;
    const t = (s: string) => topics.managedSetting(d.leaderUnit, run.experiment, PROFILE_JOB, run.id, s);
    d.publish(t('$state'), state, { qos: 2, retain: true });
    d.publish(t('experiment_profile_name'), state === 'disconnected' ? '' : run.profile.experiment_profile_name, { qos: 2, retain: true });
    if (state !== 'disconnected') d.publish(t('start_time_utc'), formatTimestamp(run.startedAt), { qos: 2, retain: true });
    else d.publish(t('start_time_utc'), '', { qos: 2, retain: true });
  }

  finish(run: Run, state: 'finished' | 'stopped' | 'failed'): void {
    if (!this.runs.has(run.id)) return;
    run.cancel();
    this.runs.delete(run.id);
    this.deps.db.prepare('UPDATE colony_profile_runs SET state = ?, ended_at = ? WHERE id = ?').run(state, this.deps.clock.now(), run.id);
    this.publishMeta(run, 'disconnected');
    this.deps.log.info({ run: run.id, profile: run.profile.experiment_profile_name, state }, 'experiment profile ended');
    this.deps.bus?.emit('profile.state', { runId: run.id, profile: run.profile.experiment_profile_name, experiment: run.experiment, state });
  }

  /** Stop a run (its remaining actions never run). */
  stop(id: string): boolean {
    const run = this.runs.get(id);
    if (!run) return false;
    this.finish(run, 'stopped');
    return true;
  }

  running(): RunInfo[] {
    return [...this.runs.values()].map((r) => this.info(r, 'running'));
  }

  /** Leader shutdown: timers cancelled, runs stay `running` in the database and resume at the next start. */
  close(): void {
    for (const r of this.runs.values()) r.cancel();
    this.runs.clear();
  }

  private info(r: Run, state: string): RunInfo {
    return { job_id: r.id, experiment_profile_name: r.profile.experiment_profile_name, file: r.file, experiment: r.experiment, started_at: formatTimestamp(r.startedAt), state };
  }

  assignedUnits(experiment: string): string[] {
    const rows = this.deps.db.prepare('SELECT pioreactor_unit FROM experiment_worker_assignments WHERE experiment = ? ORDER BY pioreactor_unit').all(experiment) as Array<{ pioreactor_unit: string }>;
    return rows.map((r) => r.pioreactor_unit);
  }

  /** Carry out one basic action. */
  async perform(run: Run, a: BasicAction, unit: string, job: string, c: ExprContext): Promise<void> {
    const d = this.deps;
    const exp = run.experiment;
    const lj = d.leaderJobs();
    const leaderHosted = !!lj && lj.handles(job);
    const opts = async (o: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) out[k] = await interpolate(v, c);
      return out;
    };
    switch (a.type) {
      case 'log': {
        const message = String(await interpolate(a.options.message, c));
        const level = a.options.level.toUpperCase();
        d.log.info({ run: run.id, unit, job, level }, message);
        d.publish(topics.log(d.leaderUnit, exp, PROFILE_JOB, level.toLowerCase()), JSON.stringify({ message, task: PROFILE_JOB, source: 'app', level, timestamp: formatTimestamp(d.clock.now()) }), { qos: 0 });
        return;
      }
      case 'start': {
        const options = await opts(a.options);
        if (Object.keys(a.config_overrides).length) d.log.warn({ run: run.id, unit, job }, 'config_overrides are not supported by agents; ignored');
        if (leaderHosted) await lj!.run(unit, exp, job, options);
        else await d.units.call(unit, 'jobs.run', { job, options, experiment: exp, source: PROFILE_JOB }, 15_000);
        return;
      }
      case 'stop':
        if (leaderHosted) await lj!.stop(unit, exp, job);
        else await d.units.call(unit, 'jobs.stop', { job, experiment: exp }, 15_000);
        return;
      case 'pause':
      case 'resume':
        d.publish(topics.stateSet(unit, exp, job), a.type === 'pause' ? 'sleeping' : 'ready', { qos: 1 });
        return;
      case 'update': {
        const options = await opts(a.options);
        if (leaderHosted) await lj!.update(unit, exp, job, options);
        else for (const [k, v] of Object.entries(options)) d.publish(topics.set(unit, exp, job, k), v === null ? '' : String(v), { qos: 1 });
        return;
      }
    }
  }
}
