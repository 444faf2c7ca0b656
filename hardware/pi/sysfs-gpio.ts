/**
 * GPIO through the kernel's sysfs interface (/sys/class/gpio). Since kernel 6.6 the sysfs line
 * number is the gpiochip's base plus the BCM number (base 512 on a Pi 4, 571 on a Pi 5; see
 * fivdi/onoff#199), so the base is looked up from each gpiochipN/base and label rather than assumed 0.
 * The sysfs root is a parameter so tests run against a temp folder.
 * Edge watching needs poll(2) on the value file, which Node cannot do on sysfs files; the pi
 * backend passes a watcher built on onoff (which uses epoll), tests pass a fake.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Edge, Gpio } from '../interfaces.js';

/** Labels of the SoC's main GPIO controller: Pi 5 (RP1), Pi 4, Pi 3 and earlier. */
export const MAIN_GPIO_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export interface GpioChipInfo {
  name: string;
  base: number;
  label: string;
  ngpio: number;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

export function listGpioChips(root: string): GpioChipInfo[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n.startsWith('gpiochip'))
    .map((name) => {
      const dir = join(root, name);
      const opt = (f: string) => (existsSync(join(dir, f)) ? readText(join(dir, f)) : '');
      return { name, base: Number(opt('base')), label: opt('label'), ngpio: Number(opt('ngpio') || '0') };
    })
    .filter((c) => Number.isFinite(c.base));
}

/** Base of the main GPIO controller: a known label wins, else the lowest base. Null when none. */
export function findGpioBase(root: string): number | null {
  const chips = listGpioChips(root);
  for (const label of MAIN_GPIO_LABELS) {
    const c = chips.find((x) => x.label === label);
    if (c) return c.base;
  }
  if (!chips.length) return null;
  return Math.min(...chips.map((c) => c.base));
}

/** Watches edges of a sysfs line; returns a stop function. */
export type EdgeWatcher = (sysfsLine: number, edge: Edge, cb: (tickMs: number) => void) => () => void;

export interface SysfsGpioOptions {
  root?: string;
  /** Overrides the base lookup. */
  base?: number;
  watcher?: EdgeWatcher;
}

export class SysfsGpio implements Gpio {
  readonly root: string;
  readonly base: number;
  private readonly exported = new Map<number, 'in' | 'out'>();
  private readonly stops = new Set<() => void>();

  constructor(private readonly opts: SysfsGpioOptions = {}) {
    this.root = opts.root ?? '/sys/class/gpio';
    const base = opts.base ?? findGpioBase(this.root);
    if (base === null) throw new Error(`no gpiochip under ${this.root}`);
    this.base = base;
  }

  /** Sysfs line number of a BCM pin. */
  line(pin: number): number {
    return this.base + pin;
  }

  private lineDir(pin: number): string {
    return join(this.root, `gpio${this.line(pin)}`);
  }

  /** Export (once) and set the direction. The kernel creates gpioN/value on export. */
  private ensure(pin: number, direction: 'in' | 'out'): void {
    if (this.exported.get(pin) === direction) return;
    const dir = this.lineDir(pin);
    if (!existsSync(join(dir, 'value'))) writeFileSync(join(this.root, 'export'), String(this.line(pin)));
    writeFileSync(join(dir, 'direction'), direction);
    this.exported.set(pin, direction);
  }

  async read(pin: number): Promise<0 | 1> {
    if (!this.exported.has(pin)) this.ensure(pin, 'in');
    return readText(join(this.lineDir(pin), 'value')) === '1' ? 1 : 0;
  }

  async write(pin: number, value: 0 | 1): Promise<void> {
    this.ensure(pin, 'out');
    writeFileSync(join(this.lineDir(pin), 'value'), value ? '1' : '0');
  }

  /** Synchronous write for the software PWM's tight loop. */
  writeSync(pin: number, value: 0 | 1): void {
    this.ensure(pin, 'out');
    writeFileSync(join(this.lineDir(pin), 'value'), value ? '1' : '0');
  }

  watch(pin: number, edge: Edge, cb: (tickMs: number) => void): () => void {
    if (!this.opts.watcher) throw new Error('this GPIO has no edge watcher (onoff is needed to watch pins)');
    this.ensure(pin, 'in');
    writeFileSync(join(this.lineDir(pin), 'edge'), edge);
    const stopInner = this.opts.watcher(this.line(pin), edge, cb);
    const stop = () => {
      if (this.stops.delete(stop)) stopInner();
    };
    this.stops.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const stop of [...this.stops]) stop();
    for (const pin of this.exported.keys()) {
      try {
        writeFileSync(join(this.root, 'unexport'), String(this.line(pin)));
      } catch {
        // Already unexported (or the fake tree has no unexport file): nothing left to release.
      }
    }
    this.exported.clear();
  }
}
