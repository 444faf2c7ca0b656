#!/usr/bin/env node
/**
 * `npm run sim -- --hours 48 --seed 1 [--heater-dc D] [--stir-dc D] [--ir-led I] [--speed N]`:
 * one uncontrolled simulated vial, printed as CSV, one row per simulated minute. For eyeballing
 * the model and for plotting; bad arguments exit 2 with one line saying which.
 */
import { parseArgs } from 'node:util';
import { SIM_CSV_COLUMNS, simulateUncontrolled, type UncontrolledRunOptions } from './run.js';

const USAGE = 'usage: npm run sim -- --hours H --seed S [--heater-dc D] [--stir-dc D] [--ir-led I] [--speed N] [--unit NAME]';

class ArgError extends Error {}

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

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(6).replace(/0+$/, '').replace(/\.$/, ''));

function main(): void {
  let opts: UncontrolledRunOptions;
  try {
    opts = parseSimArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    process.stderr.write(`sim: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const out: string[] = [SIM_CSV_COLUMNS.join(',')];
  for (const row of simulateUncontrolled(opts)) {
    out.push(SIM_CSV_COLUMNS.map((c) => fmt(row[c])).join(','));
    if (out.length >= 2000) {
      process.stdout.write(out.join('\n') + '\n');
      out.length = 0;
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}

main();
