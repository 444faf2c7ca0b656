/**
 * Edge watching through onoff (epoll on the sysfs value file), loaded lazily: the package is an
 * optional native dependency and is only wanted on a Pi.
 */
import type { Edge } from '../interfaces.js';
import type { EdgeWatcher } from './sysfs-gpio.js';

interface OnoffGpio {
  watch(cb: (err: Error | null | undefined, value: number) => void): void;
  unexport(): void;
}
type OnoffGpioCtor = new (gpio: number, direction: 'in', edge: Edge) => OnoffGpio;

export async function loadOnoffWatcher(): Promise<EdgeWatcher | null> {
  let Gpio: OnoffGpioCtor;
  try {
    const mod = (await import('onoff' as string)) as { Gpio?: OnoffGpioCtor; default?: { Gpio: OnoffGpioCtor } };
    const ctor = mod.Gpio ?? mod.default?.Gpio;
    if (!ctor) return null;
    Gpio = ctor;
  } catch {
    return null;
  }
  return (line, edge, cb) => {
    const g = new Gpio(line, 'in', edge);
    // performance.now(): sub-millisecond ticks, and only differences matter for RPM.
    g.watch((err) => {
      if (!err) cb(performance.now());
    });
    return () => g.unexport();
  };
}
