/** Test scaffolding for automations: a pump executor driving the simulated vial, a recording host. */
import { VirtualClock } from '../../shared/clock.js';
import { SimVial } from '../../hardware/sim/vial.js';
import type { AutomationHost, AutomationOptions, DoseRequest, DosingAutomationClass, PumpExecutor, PumpName } from '../../leader/automations/base.js';

export interface SimExecutorOptions {
  /** This pump's step is never confirmed (the agent does not answer). */
  unconfirmed?: (pump: PumpName) => boolean;
  /** The waste pump does not run (it reports 0 mL moved). */
  wasteBroken?: boolean;
}

/** The same interface the automations use on the wire, moving liquid in the sim vial at its pump rates. */
export class SimPumpExecutor implements PumpExecutor {
  readonly doses: Array<{ pump: PumpName; ml: number; moved: number; at: number }> = [];
  constructor(
    readonly vial: SimVial,
    readonly clock: VirtualClock,
    readonly o: SimExecutorOptions = {},
  ) {}

  async dose(req: DoseRequest): Promise<number> {
    if (this.o.unconfirmed?.(req.pump)) {
      await this.clock.sleep(1000);
      throw new Error('no reply within the timeout');
    }
    const broken = req.pump === 'waste' && this.o.wasteBroken;
    const rate = this.vial.pumpRates[req.pump];
    if (!broken) this.vial.setPwm(req.pump, 100);
    await this.clock.sleep((req.ml / rate) * 1000);
    this.vial.setPwm(req.pump, 0);
    const moved = broken ? 0 : req.ml;
    this.doses.push({ pump: req.pump, ml: req.ml, moved, at: this.clock.now() });
    return moved;
  }
}

/** Nominal pumps (no vial): every step confirmed with the volume asked for. */
export class NominalPumps implements PumpExecutor {
  readonly doses: Array<{ pump: PumpName; ml: number }> = [];
  async dose(req: DoseRequest): Promise<number> {
    this.doses.push({ pump: req.pump, ml: req.ml });
    return req.ml;
  }
}

export interface RecordingHost extends AutomationHost {
  published: Array<[string, unknown]>;
  logs: Array<[string, string]>;
  pumpsStopped: number;
}

export function recordingHost(clock: VirtualClock, pumps: PumpExecutor): RecordingHost {
  const h: RecordingHost = {
    clock,
    pumps,
    published: [],
    logs: [],
    pumpsStopped: 0,
    publish: (k, v) => h.published.push([k, v]),
    log: (level, msg) => h.logs.push([level, msg]),
    stopPumps: () => void h.pumpsStopped++,
  };
  return h;
}

export function make(cls: DosingAutomationClass, host: AutomationHost, settings: Record<string, unknown>, o: Partial<AutomationOptions> = {}) {
  const s = cls.settings.parse(settings);
  return cls.create(host, s, { unit: 'u1', experiment: 'exp1', ...o });
}

/** Advance the virtual clock until the promise settles. */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, stepMs = 1000, maxMs = 3_600_000): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let t = 0; t <= maxMs && !done; t += stepMs) await clock.advanceAsync(stepMs);
  return p;
}
