/**
 * The leader's automation services, started once ingest runs: the event bus, the dosing automation manager
 * (`ctx.leaderJobs`), the experiment profile runner and the cron schedules. The `/api` reaches them through
 * `leaderServices(ctx)`, `listDosingDescriptors(ctx)` and `profileRunner(ctx)`.
 */
import type { LeaderContext } from '../http/context.js';
import { LeaderBus } from '../bus.js';
import { assignedExperiment } from '../db/assignments.js';
import { ProfileRunner } from '../profiles/runner.js';
import { Schedules } from '../schedules/index.js';
import { topics } from '../../shared/topics.js';
import type { AutomationDescriptor } from './descriptors.js';
import { AutomationManager } from './manager.js';
import { AutomationRegistry } from './registry.js';

export interface LeaderServices {
  bus: LeaderBus;
  automations: AutomationManager;
  profiles: ProfileRunner;
  schedules: Schedules;
  stop(): Promise<void>;
}

const byCtx = new WeakMap<LeaderContext, LeaderServices>();

export function leaderServices(ctx: LeaderContext): LeaderServices | undefined {
  return byCtx.get(ctx);
}

/** `GET /api/automations/descriptors/dosing`: built-ins and plugins (built-ins only before the leader started). */
export function listDosingDescriptors(ctx?: LeaderContext): AutomationDescriptor[] {
  const s = ctx ? byCtx.get(ctx) : undefined;
  return s ? s.automations.listDosingDescriptors() : new AutomationRegistry().descriptors();
}

/** The profile runner: `run(file, experiment)`, `stop(job_id)`, `running()`. */
export function profileRunner(ctx: LeaderContext): ProfileRunner | undefined {
  return byCtx.get(ctx)?.profiles;
}

/** The latest (retained) value of a unit's setting, within 2 s (profile expressions). */
function lookupVia(ctx: LeaderContext) {
  return (unit: string, job: string, setting: string): Promise<unknown> => {
    const exp = assignedExperiment(ctx.db, unit);
    if (!exp) return Promise.reject(new Error(`${unit} is not assigned to an experiment`));
    const topic = topics.setting(unit, exp, job, setting);
    return new Promise((resolve, reject) => {
      const onMsg = (t: string, p: Buffer) => {
        if (t !== topic) return;
        done();
        resolve(p.toString());
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no value on ${topic}`));
      }, 2000);
      const done = () => {
        clearTimeout(timer);
        ctx.mqtt.removeListener('message', onMsg);
        void ctx.mqtt.unsubscribeAsync(topic).catch(() => undefined);
      };
      ctx.mqtt.on('message', onMsg);
      ctx.mqtt.subscribe(topic, { qos: 1 });
    });
  };
}

export async function startLeaderServices(ctx: LeaderContext, creds: { username: string; password: string }, shared?: { bus?: LeaderBus }): Promise<LeaderServices> {
  // One bus for the leader: online phase detection emits `phase.changed` on it, and profile `when` conditions
  // re-evaluate on every event, so "when this unit enters phase X" needs no special case.
  const bus = shared?.bus ?? new LeaderBus();
  const automations = new AutomationManager({
    db: ctx.db,
    units: ctx.units,
    clock: ctx.clock,
    log: ctx.log,
    config: ctx.config,
    dataDir: ctx.dataDir,
    brokerUrl: ctx.broker.url,
    username: creds.username,
    password: creds.password,
    bus,
  });
  await automations.start();
  ctx.leaderJobs = automations;
  const profiles = new ProfileRunner({
    db: ctx.db,
    clock: ctx.clock,
    log: ctx.log,
    dataDir: ctx.dataDir,
    leaderUnit: ctx.unitName,
    publish: (topic, payload, o) => ctx.mqtt.publish(topic, payload, { qos: o.qos, retain: o.retain ?? false }),
    units: ctx.units,
    leaderJobs: () => ctx.leaderJobs,
    bus,
    lookup: lookupVia(ctx),
  });
  profiles.resume();
  const schedules = new Schedules({ db: ctx.db, dataDir: ctx.dataDir, config: ctx.config, log: ctx.log });
  schedules.start();
  const s: LeaderServices = {
    bus,
    automations,
    profiles,
    schedules,
    stop: async () => {
      await schedules.stop();
      profiles.close();
      await automations.close();
      if (ctx.leaderJobs === automations) ctx.leaderJobs = null;
      byCtx.delete(ctx);
    },
  };
  byCtx.set(ctx, s);
  return s;
}
