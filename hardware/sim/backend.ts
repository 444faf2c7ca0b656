/**
 * The simulated backend: one SimVial behind the HardwareBackend interfaces, configured from the
 * unit's config (PWM map, IR LED channel, photodiode roles, model capacity, volumes).
 */
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { HardwareBackend, HardwareInfo, Pwm, PwmFunction } from '../interfaces.js';
import { I2C_ADDR, LED_CHANNELS, hatHasPico, irLedChannel, pwmPinsByFunction, type PdRole } from '../map.js';
import { SimAdc, SimGpio, SimI2cBus, SimLeds, SimPwm, SimRpmCounter, SimTemperature } from './devices.js';
import { SimVial } from './vial.js';

/** A HardwareBackend with the simulated vial exposed for tests, demos and default calibrations. */
export interface SimBackend extends HardwareBackend {
  readonly sim: SimVial;
  /** In-memory bus answering at the HAT's addresses (nothing reads it; here for completeness). */
  readonly i2c: SimI2cBus;
}

export function isSimBackend(b: HardwareBackend): b is SimBackend {
  return b.info.backend === 'sim' && 'sim' in b;
}

export interface SimBackendOptions {
  config: ColonyConfig;
  clock: Clock;
  seed?: number;
  speed?: number;
  unit?: string;
}

export function modelCapacityMl(model: string): number {
  return model.includes('20ml') ? 20 : 40;
}

export function createSimBackend(o: SimBackendOptions): SimBackend {
  const { config, clock } = o;
  const seed = o.seed ?? config.colony.sim_seed;
  const speed = o.speed ?? config.colony.speed;
  const pd = config['od_config.photodiode_channel'];
  const vial = new SimVial({
    clock,
    seed,
    unit: o.unit,
    speed,
    capacityMl: modelCapacityMl(config.colony.model),
    initialVolumeMl: config.bioreactor.initial_volume_ml,
    effluxVolumeMl: config.bioreactor.efflux_tube_volume_ml,
    initialAltMediaFraction: config.bioreactor.initial_alt_media_fraction,
    irChannel: irLedChannel(config.leds),
    photodiodes: { 1: pd['1'] as PdRole, 2: pd['2'] as PdRole, 3: pd['3'] as PdRole, 4: pd['4'] as PdRole },
  });
  const pwms = new Map<PwmFunction, Pwm>();
  for (const [fn, pin] of pwmPinsByFunction(config.PWM as Record<string, string>)) pwms.set(fn, new SimPwm(pin, fn, vial));
  const hat = config.colony.hat_version;
  const leds = new SimLeds(vial);
  const gpio = new SimGpio(clock);
  const i2c = new SimI2cBus(hatHasPico(hat) ? [I2C_ADDR.pico, I2C_ADDR.tmp1075] : [I2C_ADDR.ads, I2C_ADDR.dac43608, I2C_ADDR.tmp1075]);
  const info: HardwareInfo = {
    backend: 'sim',
    model: config.colony.model,
    modelVersion: config.colony.model_version,
    hatVersion: hat,
    description: `simulated vial, seed ${seed}${o.unit ? `, unit ${o.unit}` : ''}${speed !== 1 ? `, speed ${speed}` : ''}`,
  };
  const allOff = async (): Promise<void> => {
    for (const p of pwms.values()) await p.off().catch(() => undefined);
    for (const ch of LED_CHANNELS) await leds.set(ch, 0).catch(() => undefined);
  };
  return {
    info,
    sim: vial,
    i2c,
    gpio,
    adc: new SimAdc(vial, !hatHasPico(hat)),
    temperature: new SimTemperature(vial),
    leds,
    rpm: new SimRpmCounter(vial, clock),
    pwmFor: (fn) => pwms.get(fn) ?? null,
    allPwms: () => [...pwms.values()],
    allOff,
    close: async () => {
      await allOff();
      await gpio.close();
    },
  };
}
