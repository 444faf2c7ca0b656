/** Output helpers that keep the wire in step with the hardware: `pwms/dc` by pin, `leds/intensity`, LED events. */
import type { LedChannel, Pwm } from '../../hardware/interfaces.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { topics } from '../../shared/topics.js';
import type { AgentContext } from './context.js';

export function publishPwms(ctx: AgentContext, experiment: string): void {
  const dc: Record<string, number> = {};
  for (const p of ctx.hw.allPwms()) if (p.dutyCycle > 0) dc[String(p.pin)] = p.dutyCycle;
  ctx.link.publishRetained(topics.pwmsDc(ctx.unit, experiment), JSON.stringify(dc), 0);
}

export async function setPwm(ctx: AgentContext, experiment: string, pwm: Pwm, dc: number): Promise<void> {
  const v = Math.round(Math.min(100, Math.max(0, dc)) * 1e5) / 1e5;
  if (v === 0) await pwm.off();
  else await pwm.setDutyCycle(v);
  publishPwms(ctx, experiment);
}

export function publishLeds(ctx: AgentContext, experiment: string): void {
  ctx.link.publishRetained(topics.ledsIntensity(ctx.unit, experiment), JSON.stringify(ctx.hw.leds.all()), 0);
}

/** Set LED channels; publishes the full state and, when verbose, one `led_change_events` per changed channel. */
export async function setLeds(
  ctx: AgentContext,
  experiment: string,
  changes: Partial<Record<LedChannel, number>>,
  source: string,
  verbose = true,
): Promise<void> {
  const ts = formatTimestamp(ctx.clock.now());
  for (const [ch, raw] of Object.entries(changes) as Array<[LedChannel, number]>) {
    const intensity = Math.min(100, Math.max(0, raw));
    const before = ctx.hw.leds.get(ch);
    await ctx.hw.leds.set(ch, intensity);
    if (verbose && before !== intensity) {
      ctx.link.emitReading(topics.ledChangeEvents(ctx.unit, experiment), { channel: ch, intensity, source_of_event: source, timestamp: ts });
    }
  }
  publishLeds(ctx, experiment);
}

/** The PCB LED's GPIO (both HAT versions). */
export const PCB_LED_PIN = 23;

/** Blink the PCB LED: 4 double blinks (Pioreactor's "which unit is this?" signal). */
export async function blinkPcbLed(ctx: Pick<AgentContext, 'hw' | 'clock'>): Promise<void> {
  const g = ctx.hw.gpio;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 2; j++) {
      await g.write(PCB_LED_PIN, 1);
      await ctx.clock.sleep(100);
      await g.write(PCB_LED_PIN, 0);
      await ctx.clock.sleep(100);
    }
    await ctx.clock.sleep(200);
  }
}
