/**
 * Before the pi backend touches anything it checks that the pieces exist, so an agent started on
 * the wrong machine (or a Pi with I2C disabled, or no HAT) fails with one readable sentence per
 * missing piece. Every path is a parameter so tests can point it at a temp folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { I2C_ADDR, hatHasPico } from '../map.js';
import { listGpioChips } from './sysfs-gpio.js';
import { listPwmChips } from './sysfs-pwm.js';

export interface ProbeOptions {
  hatVersion: string;
  devRoot?: string;
  gpioRoot?: string;
  pwmRoot?: string;
  modelPath?: string;
  i2cBusNumber?: number;
  /** Addresses answering on the bus; default opens the bus with i2c-bus. Throws a sentence on failure. */
  scan?: () => Promise<number[]>;
}

export interface ProbeResult {
  problems: string[];
  /** The device-tree model string ("" when unknown). */
  model: string;
}

/** Reads /proc/device-tree/model (NUL-terminated) or "". */
export function readPiModel(path = '/proc/device-tree/model'): string {
  try {
    return readFileSync(path, 'utf8').replace(/\0/g, '').trim();
  } catch {
    return '';
  }
}

export function isRaspberryPi(path = '/proc/device-tree/model'): boolean {
  return /raspberry pi/i.test(readPiModel(path));
}

const hex = (a: number) => `0x${a.toString(16).toUpperCase().padStart(2, '0')}`;

const CHIP_NAMES: Record<number, string> = {
  [I2C_ADDR.pico]: 'the HAT microcontroller (ADC/DAC)',
  [I2C_ADDR.ads]: 'the ADS1115 photodiode ADC',
  [I2C_ADDR.dac43608]: 'the DAC43608 LED driver',
  [I2C_ADDR.tmp1075]: 'the TMP1075 temperature sensor on the heating PCB',
};

export function expectedChips(hatVersion: string): number[] {
  return hatHasPico(hatVersion) ? [I2C_ADDR.pico, I2C_ADDR.tmp1075] : [I2C_ADDR.ads, I2C_ADDR.dac43608, I2C_ADDR.tmp1075];
}

export async function probePi(o: ProbeOptions): Promise<ProbeResult> {
  const problems: string[] = [];
  const modelPath = o.modelPath ?? '/proc/device-tree/model';
  const model = readPiModel(modelPath);
  if (!/raspberry pi/i.test(model)) {
    problems.push(`This machine is not a Raspberry Pi (${modelPath} ${model ? `says "${model}"` : 'is missing'}).`);
  }
  const busNo = o.i2cBusNumber ?? 1;
  const devPath = join(o.devRoot ?? '/dev', `i2c-${busNo}`);
  const chips = expectedChips(o.hatVersion);
  if (!existsSync(devPath)) {
    problems.push(`The I2C bus ${devPath} does not exist (enable I2C with raspi-config or dtparam=i2c_arm=on).`);
    problems.push(`The HAT's chips (${chips.map(hex).join(', ')}) could not be looked for without the I2C bus.`);
  } else {
    try {
      const found = new Set(await (o.scan ?? defaultScan(busNo))());
      for (const a of chips) {
        if (!found.has(a)) problems.push(`No chip answers at ${hex(a)} on ${devPath}: ${CHIP_NAMES[a] ?? 'a HAT chip'} is missing (is the HAT seated and the HAT version ${o.hatVersion} right?).`);
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const gpioRoot = o.gpioRoot ?? '/sys/class/gpio';
  if (listGpioChips(gpioRoot).length === 0) {
    problems.push(`No GPIO chip under ${gpioRoot} (the kernel's sysfs GPIO interface is missing).`);
  }
  const pwmRoot = o.pwmRoot ?? '/sys/class/pwm';
  if (listPwmChips(pwmRoot).length === 0) {
    problems.push(`No hardware PWM chip under ${pwmRoot} (add dtoverlay=pwm-2chan to /boot/firmware/config.txt).`);
  }
  return { problems, model };
}

function defaultScan(busNo: number): () => Promise<number[]> {
  return async () => {
    const { openI2cBus } = await import('./i2c.js');
    const bus = await openI2cBus(busNo);
    try {
      return await bus.scan();
    } finally {
      await bus.close();
    }
  };
}
