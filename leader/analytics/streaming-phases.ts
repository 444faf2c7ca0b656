/**
 * Causal phase labeller for a growth-rate stream (e.g. the agent's Kalman growth rate, h^-1). It only looks
 * at the past, so the leader can label a running culture live and persist the state across restarts.
 *
 * The rules are the offline detector's (growth-phases.ts), on an exponentially smoothed rate s and the run's
 * maximum smoothed rate so far M:
 *  - lag -> exponential when s >= exponentialFraction (50 %) of M and s >= minExponentialRate (early on
 *    M ~ s, so a causal labeller also needs an absolute floor, and it cannot know the final maximum yet: its
 *    exponential phase starts when the rate passes the floor, earlier than the offline rule's 50 % of M);
 *  - then classifyRate: exponential while s >= 50 % of M, deceleration below it, stationary within 10 % of
 *    M of zero, decline below -10 % of M.
 * A candidate phase must hold for minPhaseHours before it is committed (debouncing); the committed phase
 * then starts at the time the candidate first appeared, so reported boundaries are not delayed. Phases
 * only move forward (lag, exponential, deceleration, stationary, decline: a batch culture does not go back);
 * call reset() for a new batch or a feed. Offline, with the whole run in view, a later growth spurt (a feed)
 * is labelled again.
 */
import { classifyRate, EXPONENTIAL_FRACTION, STATIONARY_FRACTION } from './growth-phases.js';
import type { PhaseType } from './types.js';

export interface StreamingPhaseConfig {
  /** EWMA time constant in hours (0 disables smoothing). */
  smoothingHours: number;
  minPhaseHours: number;
  minExponentialRate: number;
  exponentialFraction: number;
  stationaryFraction: number;
}

export const DEFAULT_STREAMING_PHASE: StreamingPhaseConfig = {
  smoothingHours: 0.5,
  minPhaseHours: 1,
  minExponentialRate: 0.05,
  exponentialFraction: EXPONENTIAL_FRACTION,
  stationaryFraction: STATIONARY_FRACTION,
};

export interface StreamingPhaseEvent {
  phase: PhaseType;
  startHours: number;
}

export interface StreamingPhaseUpdate {
  phase: PhaseType;
  /** The committed phase changed on this update. */
  changed: boolean;
  smoothedRate: number;
  maxRate: number;
}

export interface StreamingPhaseState {
  version: 1;
  config: StreamingPhaseConfig;
  lastHours: number | null;
  smoothed: number | null;
  maxRate: number;
  phase: PhaseType;
  candidate: PhaseType | null;
  candidateSince: number | null;
  events: StreamingPhaseEvent[];
}

const ORDER: Record<PhaseType, number> = { lag: 0, exponential: 1, deceleration: 2, stationary: 3, decline: 4, unknown: -1 };

export class StreamingPhaseLabeller {
  readonly config: StreamingPhaseConfig;
  private lastHours: number | null = null;
  private smoothed: number | null = null;
  private maxRate = -Infinity;
  private phase: PhaseType = 'lag';
  private candidate: PhaseType | null = null;
  private candidateSince: number | null = null;
  private events: StreamingPhaseEvent[] = [];

  constructor(config: Partial<StreamingPhaseConfig> = {}) {
    this.config = { ...DEFAULT_STREAMING_PHASE, ...config };
  }

  reset(): void {
    this.lastHours = null;
    this.smoothed = null;
    this.maxRate = -Infinity;
    this.phase = 'lag';
    this.candidate = null;
    this.candidateSince = null;
    this.events = [];
  }

  get current(): PhaseType {
    return this.phase;
  }

  /** Committed phases so far, in order, each with its start time (hours). */
  history(): StreamingPhaseEvent[] {
    return this.events.map((e) => ({ ...e }));
  }

  /** What the rules say for smoothed rate s right now, before debouncing. */
  private target(s: number): PhaseType {
    const c = this.config;
    const M = this.maxRate;
    let want: PhaseType = this.phase;
    if (this.phase === 'lag') {
      if (s >= c.minExponentialRate && s >= c.exponentialFraction * M) want = 'exponential';
    } else {
      want = classifyRate(s, M, { exponentialFraction: c.exponentialFraction, stationaryFraction: c.stationaryFraction, minExponentialRate: c.minExponentialRate });
    }
    return ORDER[want] >= ORDER[this.phase] ? want : this.phase;
  }

  /** Feed one (time in hours, growth rate) sample; times must not go backwards. Non-finite rates are ignored. */
  update(hours: number, rate: number): StreamingPhaseUpdate {
    if (!Number.isFinite(rate) || !Number.isFinite(hours) || (this.lastHours !== null && hours < this.lastHours)) {
      return { phase: this.phase, changed: false, smoothedRate: this.smoothed ?? NaN, maxRate: this.maxRate };
    }
    if (this.events.length === 0) this.events.push({ phase: this.phase, startHours: hours });
    const tau = this.config.smoothingHours;
    if (this.smoothed === null || this.lastHours === null || tau <= 0) this.smoothed = rate;
    else {
      const a = 1 - Math.exp(-(hours - this.lastHours) / tau);
      this.smoothed += a * (rate - this.smoothed);
    }
    this.lastHours = hours;
    const s = this.smoothed;
    if (s > this.maxRate) this.maxRate = s;
    const want = this.target(s);
    let changed = false;
    if (want === this.phase) {
      this.candidate = null;
      this.candidateSince = null;
    } else {
      if (this.candidate !== want) {
        this.candidate = want;
        this.candidateSince = hours;
      }
      if (hours - (this.candidateSince as number) >= this.config.minPhaseHours) {
        this.phase = want;
        this.events.push({ phase: want, startHours: this.candidateSince as number });
        this.candidate = null;
        this.candidateSince = null;
        changed = true;
      }
    }
    return { phase: this.phase, changed, smoothedRate: s, maxRate: this.maxRate };
  }

  toJSON(): StreamingPhaseState {
    return {
      version: 1,
      config: { ...this.config },
      lastHours: this.lastHours,
      smoothed: this.smoothed,
      maxRate: Number.isFinite(this.maxRate) ? this.maxRate : -1e308,
      phase: this.phase,
      candidate: this.candidate,
      candidateSince: this.candidateSince,
      events: this.history(),
    };
  }

  static fromJSON(s: StreamingPhaseState): StreamingPhaseLabeller {
    if (s?.version !== 1 || !(s.phase in ORDER)) throw new Error('Unsupported streaming phase state');
    const l = new StreamingPhaseLabeller(s.config);
    l.lastHours = s.lastHours;
    l.smoothed = s.smoothed;
    l.maxRate = s.maxRate <= -1e308 ? -Infinity : s.maxRate;
    l.phase = s.phase;
    l.candidate = s.candidate;
    l.candidateSince = s.candidateSince;
    l.events = s.events.map((e) => ({ ...e }));
    return l;
  }
}
