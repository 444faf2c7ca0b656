/**
 * Running golden-batch scores. When a golden profile is chosen for an experiment
 * (`analytics_experiment_golden`), every `[leader] live_score_interval_seconds` each run of that experiment
 * (batch `run:{exp}:{unit}`) is scored against it so far (library `scoreSoFar`: open-end DTW onto the part
 * of the profile the run has reached, its samples binned to the profile's grid, on the same calibrated
 * scale as a complete run's score, see leader/analytics/scoring.ts). Each score is
 *  - stored in `analytics_scores` (live = 1, matched_h = the profile hours reached), so its history is kept;
 *  - published as the unit's `batch_scoring` job (own connection, will `lost`): retained settings `score`,
 *    `golden_profile`, `matched_hours` and `scored_at`;
 *  - emitted on the leader bus as `score.updated`.
 * A run without enough samples yet (fewer than two grid points) is skipped until it has them.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { binTrajectory, profileStepHours, scoreSoFar } from '../analytics/scoring.js';
import type { LeaderBus } from '../bus.js';
import type { Db } from '../db/open.js';
import { LeaderHostedJob, type BrokerCreds } from './job-connection.js';
import { parseRunBatchId, runBatchId } from './schema.js';
import { AnalyticsError, AnalyticsService, profileFromDoc, type GoldenProfileDoc } from './service.js';

export const SCORE_JOB = 'batch_scoring';

export interface LiveScore {
  experiment: string;
  pioreactor_unit: string;
  batch_id: string;
  profile_id: string;
  score: number;
  dtw_normalized_distance: number;
  matched_h: number;
  scored_at: string;
}

export interface ChosenProfile {
  experiment: string;
  profile_id: string;
  profile_name: string | null;
  chosen_at: string;
}

/** The golden profile chosen for an experiment (null when none). */
export function chosenProfile(db: Db, experiment: string): ChosenProfile | null {
  const r = db
    .prepare(
      `SELECT g.experiment, g.profile_id, p.name AS profile_name, g.chosen_at FROM analytics_experiment_golden g
       LEFT JOIN golden_profiles p ON p.id = g.profile_id WHERE g.experiment = ?`,
    )
    .get(experiment) as ChosenProfile | undefined;
  return r ?? null;
}

/**
 * Choose the profile (a stored id, or a document, which is stored first) an experiment's runs are scored
 * against. 404 for an unknown experiment or profile id.
 */
export function chooseProfile(svc: AnalyticsService, experiment: string, profile: string | GoldenProfileDoc, nowMs: number): ChosenProfile {
  const exists = svc.db.prepare('SELECT 1 FROM experiments WHERE experiment = ?').get(experiment);
  if (!exists) throw new AnalyticsError(404, `no experiment ${JSON.stringify(experiment)}`);
  let id: string;
  if (typeof profile === 'string') {
    if (!svc.getProfile(profile)) throw new AnalyticsError(404, `no golden profile ${JSON.stringify(profile)}`);
    id = profile;
  } else {
    svc.saveProfile(profile);
    id = profile.profile_id;
  }
  svc.db
    .prepare(
      `INSERT INTO analytics_experiment_golden (experiment, profile_id, chosen_at) VALUES (?, ?, ?)
       ON CONFLICT (experiment) DO UPDATE SET profile_id = excluded.profile_id, chosen_at = excluded.chosen_at`,
    )
    .run(experiment, id, formatTimestamp(nowMs));
  return chosenProfile(svc.db, experiment)!;
}

export function clearProfile(db: Db, experiment: string): boolean {
  return db.prepare('DELETE FROM analytics_experiment_golden WHERE experiment = ?').run(experiment).changes > 0;
}

/** Each unit's latest running score against the chosen profile, with its history (oldest first). */
export function liveScores(db: Db, experiment: string): { profile: ChosenProfile | null; units: (LiveScore & { history: { scored_at: string; score: number; matched_h: number | null }[] })[] } {
  const profile = chosenProfile(db, experiment);
  if (!profile) return { profile, units: [] };
  const rows = db
    .prepare(
      `SELECT batch_id, score, dtw_normalized_distance, matched_h, created_at FROM analytics_scores
       WHERE profile_id = ? AND live = 1 AND batch_id LIKE ? ESCAPE '\\' ORDER BY batch_id, created_at, rowid`,
    )
    .all(profile.profile_id, `${likeEscape(`run:${experiment}:`)}%`) as { batch_id: string; score: number; dtw_normalized_distance: number | null; matched_h: number | null; created_at: string }[];
  const byUnit = new Map<string, typeof rows>();
  for (const r of rows) {
    const run = parseRunBatchId(r.batch_id);
    if (!run || run.experiment !== experiment) continue;
    let list = byUnit.get(run.unit);
    if (!list) byUnit.set(run.unit, (list = []));
    list.push(r);
  }
  return {
    profile,
    units: [...byUnit.entries()].map(([unit, hist]) => {
      const last = hist[hist.length - 1];
      return {
        experiment,
        pioreactor_unit: unit,
        batch_id: last.batch_id,
        profile_id: profile.profile_id,
        score: last.score,
        dtw_normalized_distance: last.dtw_normalized_distance ?? NaN,
        matched_h: last.matched_h ?? NaN,
        scored_at: last.created_at,
        history: hist.map((h) => ({ scored_at: h.created_at, score: h.score, matched_h: h.matched_h })),
      };
    }),
  };
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface LiveScoreOptions extends BrokerCreds {
  db: Db;
  clock: Clock;
  log: ColonyLogger;
  /** 0 disables the timer (scores then only on `scoreNow`). */
  intervalMs: number;
  bus?: LeaderBus;
}

export class LiveScoreService {
  private readonly svc: AnalyticsService;
  private timer: TimerHandle | null = null;
  private readonly jobs = new Map<string, LeaderHostedJob | null>();
  private ticking: Promise<LiveScore[]> | null = null;
  private closed = false;
  /** Runs whose last attempt failed (logged once, until one succeeds). */
  private readonly failing = new Set<string>();

  constructor(private readonly o: LiveScoreOptions) {
    this.svc = new AnalyticsService(o.db, () => o.clock.now());
  }

  start(): void {
    if (this.o.intervalMs > 0) this.timer = this.o.clock.setInterval(() => void this.scoreNow().catch(() => undefined), this.o.intervalMs);
  }

  /** Score every run of every experiment with a chosen profile (or of one experiment). Runs never overlap. */
  async scoreNow(experiment?: string): Promise<LiveScore[]> {
    while (this.ticking) await this.ticking.catch(() => undefined);
    if (this.closed) return [];
    this.ticking = this.tick(experiment);
    try {
      return await this.ticking;
    } finally {
      this.ticking = null;
    }
  }

  private runsOf(experiment: string): string[] {
    return this.svc
      .listBatches()
      .map((b) => parseRunBatchId(b.batch_id))
      .filter((r): r is { experiment: string; unit: string } => r !== null && r.experiment === experiment)
      .map((r) => r.unit);
  }

  private async tick(only?: string): Promise<LiveScore[]> {
    const chosen = this.o.db.prepare('SELECT experiment, profile_id FROM analytics_experiment_golden').all() as { experiment: string; profile_id: string }[];
    const out: LiveScore[] = [];
    for (const c of chosen) {
      if (only !== undefined && c.experiment !== only) continue;
      const doc = this.svc.getProfile(c.profile_id);
      if (!doc) continue;
      for (const unit of this.runsOf(c.experiment)) {
        if (this.closed) return out;
        const key = `${c.experiment}\u0000${unit}`;
        try {
          const s = this.scoreRun(doc, c.experiment, unit);
          this.failing.delete(key);
          if (!s) continue;
          out.push(s);
          await this.publish(s, doc);
          this.o.bus?.emit('score.updated', { unit, experiment: c.experiment, profile_id: doc.profile_id, score: s.score, matched_h: s.matched_h });
        } catch (e) {
          if (!this.failing.has(key)) this.o.log.warn({ unit, experiment: c.experiment, err: (e as Error).message }, 'live score failed');
          this.failing.add(key);
        }
      }
    }
    return out;
  }

  /** One run's score so far, stored; null when it has too few samples yet. */
  private scoreRun(doc: GoldenProfileDoc, experiment: string, unit: string): LiveScore | null {
    const batchId = runBatchId(experiment, unit);
    const gp = profileFromDoc(doc);
    if (gp.mean.length === 0) return null;
    const traj = binTrajectory(this.svc.trajectory(batchId, doc.variables), profileStepHours(gp));
    if (traj.length < 2) return null;
    const r = scoreSoFar(gp, traj);
    const at = formatTimestamp(this.o.clock.now());
    const matched = r.matchedHours - gp.elapsedHours[0];
    this.o.db
      .prepare('INSERT INTO analytics_scores (batch_id, profile_id, score, dtw_normalized_distance, variables, created_at, live, matched_h) VALUES (?, ?, ?, ?, ?, ?, 1, ?)')
      .run(batchId, doc.profile_id, r.score, Number.isFinite(r.dtwNormalizedDistance) ? r.dtwNormalizedDistance : null, JSON.stringify(doc.variables), at, matched);
    return {
      experiment,
      pioreactor_unit: unit,
      batch_id: batchId,
      profile_id: doc.profile_id,
      score: r.score,
      dtw_normalized_distance: r.dtwNormalizedDistance,
      matched_h: matched,
      scored_at: at,
    };
  }

  private async publish(s: LiveScore, doc: GoldenProfileDoc): Promise<void> {
    const key = `${s.experiment}\u0000${s.pioreactor_unit}`;
    if (this.closed) return;
    if (!this.jobs.has(key)) this.jobs.set(key, await LeaderHostedJob.open(this.o, s.pioreactor_unit, s.experiment, SCORE_JOB, this.o.log));
    const job = this.jobs.get(key);
    if (!job) return;
    job.setting('score', String(s.score));
    job.setting('golden_profile', doc.name ?? doc.profile_id);
    job.setting('matched_hours', String(Math.round(s.matched_h * 1000) / 1000));
    job.setting('scored_at', s.scored_at);
  }

  /** Leader shutdown: stop the timer, let a running pass finish, drop the job connections (their wills say `lost`). */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.o.clock.clear(this.timer);
    if (this.ticking) await this.ticking.catch(() => undefined);
    await Promise.all([...this.jobs.values()].map((j) => j?.drop()));
    this.jobs.clear();
  }
}
