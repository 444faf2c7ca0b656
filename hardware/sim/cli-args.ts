/**
 * Argument parsing for `npm run sim`, apart from the CLI's main so tests can call it. Every bad
 * argument becomes an ArgError with one line naming the option.
 */
import { parseArgs } from 'node:util';
import type { UncontrolledRunOptions } from './run.js';

export const USAGE = 'usage: npm run sim -- --hours H --seed S [--heater-dc D] [--stir-dc D] [--ir-led I] [--speed N] [--unit NAME]';

export class ArgError extends Error {}

function num(name: string, v: string | undefined, lo: number, hi: number, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n))) {
    throw new ArgError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${lo} to ${hi} (got "${v}")`);
  }
  return n;
}

export function parseSimArgs(argv: string[]): UncontrolledRunOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        hours: { type: 'string', default: '48' },
        seed: { type: 'string', default: '1' },
        'heater-dc': { type: 'string' },
        'stir-dc': { type: 'string' },
        'ir-led': { type: 'string' },
        speed: { type: 'string' },
        unit: { type: 'string' },
      },
    }));
  } catch (e) {
    throw new ArgError((e as Error).message);
  }
  return {
    hours: num('hours', values.hours, 0, 24 * 365)!,
    seed: num('seed', values.seed, 0, 2 ** 32 - 1, true)!,
    heaterDc: num('heater-dc', values['heater-dc'], 0, 100),
    stirDc: num('stir-dc', values['stir-dc'], 0, 100),
    irLed: num('ir-led', values['ir-led'], 0, 100),
    speed: num('speed', values.speed, 0.001, 10000),
    unit: values.unit,
  };
}
