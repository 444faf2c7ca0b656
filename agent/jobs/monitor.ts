/**
 * `monitor` (under `$experiment`; reference/pioreactor-mqtt.md §3.9, control §8): versions, ipv4, PWM-rail voltage,
 * the unit's clock, blinking on request, and the vial's volume bookkeeping: the unit's own dosing events become
 * retained `bioreactor/*` values per experiment.
 */
import { formatTimestamp } from '../../shared/timestamps.js';
import { BIOREACTOR_VARIABLES, topics } from '../../shared/topics.js';
import { pythonFloat } from '../../shared/codec.js';
import type { DosingEvent } from '../../shared/payloads.js';
import { applyDosingEvent, modelVolumes, type VialState } from '../math/bioreactor.js';
import type { AgentContext } from '../runtime/context.js';
import { blinkPcbLed } from '../runtime/outputs.js';
import { Job } from '../runtime/job.js';
import type { JobKind } from '../runtime/manager.js';

export class Monitor extends Job {
  readonly name = 'monitor';
  private readonly onDosing = (exp: string, e: DosingEvent) => this.guard(() => this.applyDosing(exp, e));

  protected async onInit(): Promise<void> {
    this.declare('versions', { datatype: 'json', settable: false, persist: true });
    this.declare('ipv4', { datatype: 'string', settable: false });
    this.declare('voltage_on_pwm_rail', { datatype: 'Voltage', settable: false });
    this.declare('clock_time', { datatype: 'string', settable: false });
    this.declare('computer_statistics', { datatype: 'json', settable: false });
    this.ctx.bus.on('dosing', this.onDosing);
  }

  protected override extraSubscriptions(): string[] {
    return [`pioreactor/${this.unit}/+/monitor/flicker_led_response_okay`, `pioreactor/$broadcast/+/monitor/flicker_led_response_okay`];
  }

  protected override onExtraMessage(topic: string): void {
    if (topic.endsWith('/flicker_led_response_okay')) void this.blink();
  }

  private async blink(): Promise<void> {
    await blinkPcbLed(this.ctx);
    this.rawPublish(topics.state(this.unit, this.experiment, this.name), this.state, 2, true);
  }

  protected override async onReady(first: boolean): Promise<void> {
    if (!first) return;
    const i = this.ctx.hw.info;
    const now = () => formatTimestamp(this.ctx.clock.now());
    this.setValue('versions', { app: this.ctx.version, hat: i.hatVersion, firmware: null, rpi_machine: i.description, timestamp: now() });
    this.setValue('ipv4', localIpv4());
    const check = async () => {
      // readAuxVolts is the rail voltage on every backend (the pi drivers already undo the HAT's 0.134 divider)
      const v = Math.round((await this.ctx.hw.adc.readAuxVolts()) * 100) / 100;
      this.setValue('voltage_on_pwm_rail', { voltage: v, timestamp: now() });
      if (v <= 4.8) this.logMsg('WARNING', `Low voltage on the PWM rail: ${v} V.`);
      this.setValue('clock_time', now());
    };
    await check();
    this.every(60_000, check);
    this.logMsg('NOTICE', `${this.unit} is online and ready.`);
  }

  applyDosing(exp: string, e: DosingEvent): void {
    if (e.source_of_event === 'pump_calibration') return;
    const { capacity } = modelVolumes(this.ctx.config.colony.model);
    const before = vialState(this.ctx, exp);
    const after = applyDosingEvent(before, e.event, e.volume_change, capacity);
    this.ctx.store.cacheSet('bioreactor', exp, after);
    for (const k of BIOREACTOR_VARIABLES) {
      if (after[k] !== before[k] || k === 'current_volume_ml') this.ctx.link.publishRetained(topics.bioreactor(this.unit, exp, k), pythonFloat(after[k]), 2);
    }
  }

  protected override async onDisconnected(): Promise<void> {
    this.ctx.bus.off('dosing', this.onDosing);
  }
}

/**
 * The unit's volume bookkeeping for one experiment, as the monitor keeps it (the stored state, else the configured
 * initial values). Pumps read it to refuse a dose that would overfill the vial.
 */
export function vialState(ctx: Pick<AgentContext, 'store' | 'config'>, exp: string): VialState {
  const b = ctx.config.bioreactor;
  return ctx.store.cacheGet<VialState>('bioreactor', exp) ?? {
    current_volume_ml: b.initial_volume_ml,
    efflux_tube_volume_ml: b.efflux_tube_volume_ml,
    alt_media_fraction: b.initial_alt_media_fraction,
    cumulative_media_added_ml: 0,
    cumulative_alt_media_added_ml: 0,
    cumulative_waste_removed_ml: 0,
  };
}

function localIpv4(): string {
  // node:os is imported lazily so tests can run without touching interfaces
  return process.env.COLONY_IPV4 ?? '127.0.0.1';
}

export const monitorKind: JobKind = {
  name: 'monitor',
  help: 'Unit health, versions, blink, and the vial volume bookkeeping (always running).',
  experiment: '$experiment',
  options: [],
  create: (ctx, o) => new Monitor(ctx, o),
};
