/**
 * The agent daemon: one process per unit. It owns the unit link (outbox, requests, acks), the job manager, and
 * the fail-safe: on stop every job goes `disconnected` and every output goes off.
 */
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { HardwareBackend } from '../hardware/interfaces.js';
import type { Clock } from '../shared/clock.js';
import type { ColonyConfig } from '../shared/config/index.js';
import type { ColonyLogger } from '../shared/logger.js';
import { Assignment, parsePayload } from '../shared/payloads.js';
import { formatTimestamp } from '../shared/timestamps.js';
import { NO_EXPERIMENT } from '../shared/topics.js';
import type { Advertiser } from './discovery/advertise.js';
import { ALL_JOBS } from './jobs/index.js';
import { Outbox } from './outbox.js';
import { blinkPcbLed } from './runtime/outputs.js';
import { RequestHandler } from './requests/handler.js';
import { Bus, type AgentContext } from './runtime/context.js';
import { UnitLink } from './runtime/link.js';
import { JobManager } from './runtime/manager.js';
import type { BrokerOptions } from './runtime/mqtt.js';
import { Store } from './store.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  unit: string;
  hw: HardwareBackend;
  config: ColonyConfig;
  clock: Clock;
  log: ColonyLogger;
  broker: BrokerOptions;
  dataDir: string;
  /** Overrides the retained assignment. */
  experiment?: string;
  speed?: number;
  replayTimeoutMs?: number;
  /** How long to wait for a retained assignment after connecting (default 1500 ms). */
  assignmentWaitMs?: number;
  /** Announce the unit over mDNS (`_colony._tcp`); default `[discovery] enabled`. */
  advertise?: boolean;
}

export class Agent {
  readonly ctx: AgentContext;
  readonly manager: JobManager;
  readonly outbox: Outbox;
  readonly link: UnitLink;
  readonly requests: RequestHandler;
  private assigned: string | null = null;
  private stopped = false;
  private advertiser: Advertiser | null = null;

  constructor(private readonly o: AgentOptions) {
    const store = new Store(o.dataDir);
    this.outbox = new Outbox({ path: join(o.dataDir, 'outbox.sqlite'), maxRows: o.config.colony.outbox_max_rows });
    this.link = new UnitLink({ unit: o.unit, broker: o.broker, outbox: this.outbox, clock: o.clock, log: o.log, replayTimeoutMs: o.replayTimeoutMs });
    this.ctx = {
      unit: o.unit,
      hw: o.hw,
      config: o.config,
      clock: o.clock,
      log: o.log,
      broker: o.broker,
      link: this.link,
      bus: new Bus(),
      store,
      speed: o.speed ?? 1,
      version: AGENT_VERSION,
    };
    this.manager = new JobManager(this.ctx);
    this.ctx.jobsRunning = () => [...this.manager.running.keys()];
    for (const k of ALL_JOBS) this.manager.register(k);
    this.requests = new RequestHandler(this);
    this.link.on('request', (t, p) => void this.requests.handle(t, p));
    this.link.on('assignment', (p) => {
      if (p.length === 0) {
        this.assigned = null;
        return;
      }
      const r = parsePayload(Assignment, p);
      if (r.ok) this.assigned = r.value.experiment;
      else o.log.warn({ error: r.error }, 'bad assignment payload');
    });
  }

  /** The experiment new jobs run under: --experiment, else the retained assignment. */
  get experiment(): string {
    return this.o.experiment ?? this.assigned ?? NO_EXPERIMENT;
  }

  /** Connect, learn the experiment, start the monitor and the requested jobs. */
  async start(jobs: string[] = [], connectTimeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.link.connected) return resolve();
      const t = setTimeout(resolve, connectTimeoutMs);
      this.link.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (!this.o.experiment && this.assigned === null) {
      const wait = this.o.assignmentWaitMs ?? 1500;
      const until = Date.now() + wait;
      while (this.assigned === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    }
    for (const name of ['monitor', ...jobs]) {
      if (!name || this.manager.running.has(name)) continue;
      try {
        await this.manager.run(name, { experiment: this.experiment, source: name === 'monitor' ? 'agent' : 'user' });
      } catch (e) {
        this.o.log.error({ job: name, err: (e as Error).message }, 'could not start job');
      }
    }
    if (!this.advertiser && (this.o.advertise ?? this.o.config.discovery?.enabled ?? false)) {
      // bonjour-service (and multicast-dns) load only when the unit advertises
      const { advertiseUnit } = await import('./discovery/advertise.js');
      if (!this.stopped && !this.advertiser)
        this.advertiser = advertiseUnit({ unit: this.o.unit, version: AGENT_VERSION, onError: (e) => this.o.log.warn({ err: e.message }, 'mDNS advertisement failed') });
    }
  }

  capabilities(): unknown[] {
    return [...this.manager.kinds.values()].map((k) => ({
      job_name: k.name,
      help: k.help,
      arguments: [],
      options: k.options.map((o) => ({
        name: o.name,
        long_flag: `--${o.name.replace(/_/g, '-')}`,
        help: o.help,
        required: false,
        multiple: false,
        default: o.default ?? null,
        type: o.type,
      })),
      published_settings: this.manager.running.get(k.name)?.publishedSettingsDescription() ?? {},
      cli_example: `colony agent --start ${k.name}`,
    }));
  }

  versions(): Record<string, unknown> {
    const i = this.ctx.hw.info;
    return { app: AGENT_VERSION, hat: i.hatVersion, firmware: null, model: i.model, model_version: i.modelVersion, backend: i.backend, node: process.version, timestamp: formatTimestamp(this.ctx.clock.now()) };
  }

  ipv4(): string {
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
    return '127.0.0.1';
  }

  /** Blink the PCB LED: 4 double blinks. */
  async blink(): Promise<void> {
    await blinkPcbLed(this.ctx);
  }

  powerAction(what: 'reboot' | 'shutdown'): { ok: true } {
    this.o.log.warn({ what }, 'power action requested');
    const child = spawn('sudo', ['systemctl', what === 'reboot' ? 'reboot' : 'poweroff'], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return { ok: true };
  }

  /** Fail-safe stop: every job disconnected, every output off, connections closed. Never throws. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.advertiser?.stop().catch(() => undefined);
    try {
      await this.manager.stop({ all: true });
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'error stopping jobs');
    }
    await this.ctx.hw.allOff().catch(() => undefined);
    await this.link.close().catch(() => undefined);
    this.outbox.close();
    await this.ctx.hw.close().catch(() => undefined);
  }
}
