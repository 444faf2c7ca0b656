#!/usr/bin/env node
/**
 * `npm run sim -- --hours 48 --seed 1 [--heater-dc D] [--stir-dc D] [--ir-led I] [--speed N]`:
 * one uncontrolled simulated vial, printed as CSV, one row per simulated minute. For eyeballing
 * the model and for plotting; bad arguments exit 2 with one line saying which.
 */
import { ArgError, USAGE, parseSimArgs } from './cli-args.js';
import { SIM_CSV_COLUMNS, simulateUncontrolled, type UncontrolledRunOptions } from './run.js';

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
