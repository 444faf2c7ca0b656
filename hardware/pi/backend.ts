/**
 * The real-hardware backend: probes first (HardwareUnavailableError listing every missing piece),
 * then builds the drivers the unit's HAT version calls for.
 */
import type { Clock } from '../../shared/clock.js';
import type { ColonyConfig } from '../../shared/config/index.js';
import { Ads1115Adc } from '../drivers/ads-adc.js';
import { Ads1x15 } from '../drivers/ads1x15.js';
import { Dac43608LedDriver } from '../drivers/dac43608.js';
import { PicoAdc, PicoLedDriver } from '../drivers/pico.js';
import { HallRpmCounter } from '../drivers/rpm.js';
import { Tmp1075 } from '../drivers/tmp1075.js';
import { HardwareUnavailableError } from '../errors.js';
import type { Adc, HardwareBackend, HardwareInfo, LedDriver, Pwm, PwmFunction } from '../interfaces.js';
import { HARDWARE_PWM_PINS, I2C_ADDR, LED_CHANNELS, hatHasPico, hatPins, pwmPinsByFunction } from '../map.js';
import { openI2cBus } from './i2c.js';
import { loadOnoffWatcher } from './onoff-watcher.js';
import { probePi, type ProbeOptions } from './probe.js';
import { SoftwarePwm } from './soft-pwm.js';
import { SysfsGpio } from './sysfs-gpio.js';
import { SysfsPwm, hardwarePwmChannel, listPwmChips } from './sysfs-pwm.js';

export interface PiBackendOptions {
  config: ColonyConfig;
  clock: Clock;
  /** Overrides for the probe's paths (tests). */
  probe?: Partial<ProbeOptions>;
}

/** Default frequencies per function (Pioreactor: stirring 200 Hz, heater 16 Hz, pumps 250 Hz). */
const DEFAULT_HZ: Record<PwmFunction, number> = { stirring: 200, heating: 16, media: 250, alt_media: 250, waste: 250 };

export async function createPiBackend(o: PiBackendOptions): Promise<HardwareBackend> {
  const { config, clock } = o;
  const hat = config.colony.hat_version;
  const gpioRoot = o.probe?.gpioRoot ?? '/sys/class/gpio';
  const pwmRoot = o.probe?.pwmRoot ?? '/sys/class/pwm';
  const probe = await probePi({ hatVersion: hat, ...o.probe });
  const watcher = await loadOnoffWatcher();
  if (!watcher) probe.problems.push('The onoff package is not installed or did not build, so the RPM sensor cannot be watched.');
  if (probe.problems.length) throw new HardwareUnavailableError(probe.problems);

  const bus = await openI2cBus(o.probe?.i2cBusNumber ?? 1);
  const gpio = new SysfsGpio({ root: gpioRoot, watcher: watcher ?? undefined });
  let adc: Adc;
  let leds: LedDriver;
  if (hatHasPico(hat)) {
    adc = await PicoAdc.open(bus);
    leds = new PicoLedDriver(bus);
  } else {
    adc = new Ads1115Adc(new Ads1x15({ bus, address: I2C_ADDR.ads, clock, variant: 'ADS1115' }));
    leds = new Dac43608LedDriver(bus);
  }

  // Hardware PWM where the pin has a free kernel channel (the heater on 18 first), software otherwise.
  const pi5 = /raspberry pi 5/i.test(probe.model);
  const chip = listPwmChips(pwmRoot).find((c) => c.npwm >= (pi5 ? 4 : 2)) ?? listPwmChips(pwmRoot)[0];
  const byFn = pwmPinsByFunction(config.PWM as Record<string, string>);
  const order = [...byFn.entries()].sort(([, a], [, b]) => (a === 18 ? -1 : b === 18 ? 1 : a - b));
  const usedChannels = new Set<number>();
  const pwms = new Map<PwmFunction, Pwm>();
  for (const [fn, pin] of order) {
    const ch = HARDWARE_PWM_PINS.includes(pin) ? hardwarePwmChannel(pin, pi5) : null;
    if (chip && ch !== null && ch < chip.npwm && !usedChannels.has(ch)) {
      usedChannels.add(ch);
      pwms.set(fn, new SysfsPwm({ pin, chip: chip.name, channel: ch, root: pwmRoot, hz: DEFAULT_HZ[fn] }));
    } else {
      pwms.set(fn, new SoftwarePwm(pin, { set: (v) => gpio.writeSync(pin, v) }, clock, DEFAULT_HZ[fn]));
    }
  }

  const info: HardwareInfo = {
    backend: 'pi',
    model: config.colony.model,
    modelVersion: config.colony.model_version,
    hatVersion: hat,
    description: `${probe.model}, HAT ${hat}`,
  };
  const allOff = async (): Promise<void> => {
    for (const p of pwms.values()) await p.off().catch(() => undefined);
    for (const ch of LED_CHANNELS) await leds.set(ch, 0).catch(() => undefined);
  };
  return {
    info,
    gpio,
    adc,
    leds,
    temperature: new Tmp1075(bus),
    rpm: new HallRpmCounter(gpio, hatPins(hat).hall, clock),
    pwmFor: (fn) => pwms.get(fn) ?? null,
    allPwms: () => [...pwms.values()],
    allOff,
    close: async () => {
      await allOff();
      for (const p of pwms.values()) await p.close().catch(() => undefined);
      await gpio.close();
      await bus.close();
    },
  };
}
