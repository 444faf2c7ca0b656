/**
 * The leader's event bus: typed, in-process. Automations, profiles and (later) phase detection publish here;
 * profile `when` conditions re-evaluate on every event, so a trigger such as "when unit enters phase X" is a
 * new event type plus an expression function, not a new mechanism.
 */
import { EventEmitter } from 'node:events';

export interface LeaderEvents {
  /** A leader-hosted automation emitted an event (`latest_event`). */
  'automation.event': { unit: string; experiment: string; job: string; automation: string; event: { event_name: string; message: string | null; data: Record<string, unknown> | null } };
  /** A leader-hosted job changed state. */
  'automation.state': { unit: string; experiment: string; job: string; state: string };
  /** A dose was confirmed by a unit. */
  'dosing.confirmed': { unit: string; experiment: string; pump: string; ml: number; moved: number };
  /** A profile action ran. */
  'profile.action': { runId: string; profile: string; experiment: string; unit: string | null; job: string | null; type: string; key: string };
  /** A profile run started or ended. */
  'profile.state': { runId: string; profile: string; experiment: string; state: 'running' | 'finished' | 'stopped' | 'failed' };
  /** A growth phase change (online phase detection). */
  'phase.changed': { unit: string; experiment: string; phase: string; at: number };
  /** A run's running score against its experiment's golden profile was updated. */
  'score.updated': { unit: string; experiment: string; profile_id: string; score: number; matched_h: number };
}

export type LeaderEventName = keyof LeaderEvents;

export class LeaderBus {
  private readonly em = new EventEmitter();

  constructor() {
    this.em.setMaxListeners(1000);
  }

  emit<K extends LeaderEventName>(name: K, payload: LeaderEvents[K]): void {
    // a failing listener must not break the emitter (an automation cycle, a profile step)
    for (const l of this.em.listeners(name)) {
      try {
        (l as (p: LeaderEvents[K]) => void)(payload);
      } catch {
        // listeners own their errors
      }
    }
    for (const l of this.em.listeners('*')) {
      try {
        (l as (n: string, p: unknown) => void)(name, payload);
      } catch {
        // idem
      }
    }
  }

  on<K extends LeaderEventName>(name: K, fn: (p: LeaderEvents[K]) => void): () => void {
    this.em.on(name, fn);
    return () => this.em.off(name, fn);
  }

  /** Every event (name, payload). */
  onAny(fn: (name: LeaderEventName, payload: unknown) => void): () => void {
    this.em.on('*', fn);
    return () => this.em.off('*', fn);
  }
}
