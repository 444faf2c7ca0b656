/**
 * The laptop CLI over the leader's `/api`, in the spirit of Pioreactor's pio/pios:
 *
 *   colony experiments list|create NAME [--description TEXT]|assign EXP UNIT...
 *   colony run JOB [--units u1,u2] [--experiment EXP] [--option k=v ...]
 *   colony stop JOB [--units u1,u2] [--experiment EXP]
 *   colony update JOB --setting k=v [--setting ...] [--units u1,u2] [--experiment EXP]
 *   colony logs [--follow] [--experiment EXP] [--unit U] [--level INFO] [--limit N]
 *   colony export --datasets od_readings[,..] [--experiments e1,e2] --out FILE [--partition-by-unit]
 *
 * Every command takes --endpoint URL / --api-key KEY (or COLONY_ENDPOINT / COLONY_API_KEY), --json, --quiet.
 */
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandModule } from '../commands.js';
import { ColonyClient, type ExportRequest, type LogRow } from './api.js';
import { defaultOut, emit, ProgressBar, reportError, type Out } from './output.js';

const COMMON = {
  endpoint: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMON_HELP = `common options: --endpoint URL (COLONY_ENDPOINT), --api-key KEY (COLONY_API_KEY), --json, --quiet`;

type Values = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
  out: Out;
  client: () => ColonyClient;
}

export class UsageError extends Error {}

/** Parse argv with the command's own options plus the common ones. */
export function parseCommon(argv: string[], options: ParseArgsConfig['options'] = {}, out?: Out): Parsed {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const values = r.values as Values;
  const o = out ?? defaultOut(!!values.json, !!values.quiet);
  o.json = !!values.json;
  o.quiet = !!values.quiet;
  return {
    values,
    positionals: r.positionals,
    out: o,
    client: () => new ColonyClient({ endpoint: values.endpoint as string | undefined, apiKey: values['api-key'] as string | undefined }),
  };
}

/** `k=v` -> typed value: numbers, true/false/null, else the text. */
export function parseKv(items: string[], flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of items) {
    const i = it.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} expects key=value, got ${JSON.stringify(it)}`);
    const k = it.slice(0, i);
    const v = it.slice(i + 1);
    out[k] = v === 'true' ? true : v === 'false' ? false : v === 'null' ? null : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

function units(v: Values): string[] {
  const s = (v.units as string | undefined) ?? '$broadcast';
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/** Runs a command body with the shared error handling: usage errors exit 2, API errors print cause + remedy. */
export function command(prog: string, help: string, options: ParseArgsConfig['options'], body: (p: Parsed) => Promise<number>): CommandModule & { runWith(argv: string[], out: Out): Promise<number> } {
  const runWith = async (argv: string[], out?: Out): Promise<number> => {
    let p: Parsed;
    const o = out ?? defaultOut();
    try {
      p = parseCommon(argv, options, o);
    } catch (e) {
      o.stderr.write(`${prog}: ${(e as Error).message}\n${help}\n`);
      return 2;
    }
    if (p.values.help) {
      p.out.stdout.write(`${help}\n${COMMON_HELP}\n`);
      return 0;
    }
    try {
      return await body(p);
    } catch (e) {
      if (e instanceof UsageError) {
        p.out.stderr.write(`${prog}: ${e.message}\n${help}\n`);
        return 2;
      }
      return reportError(p.out, prog, e);
    }
  };
  return { run: (argv) => runWith(argv), runWith };
}

/** The experiment for a unit: --experiment, else its assignment, else `$experiment`. */
async function experimentFor(c: ColonyClient, unit: string, given: string | undefined): Promise<string> {
  if (given) return given;
  if (unit === '$broadcast') return '$experiment';
  return (await c.assignedExperiment(unit)) ?? '$experiment';
}

export const experimentsCommand = command(
  'colony experiments',
  'usage: colony experiments list | create NAME [--description TEXT] | assign EXPERIMENT UNIT [UNIT...]',
  { description: { type: 'string' } },
  async ({ positionals, values, out, client }) => {
    const [sub = 'list', ...rest] = positionals;
    const c = client();
    if (sub === 'list') {
      const rows = await c.experiments();
      emit(out, rows, rows as unknown as Array<Record<string, unknown>>, ['experiment', 'created_at', 'delta_hours', 'description']);
      return 0;
    }
    if (sub === 'create') {
      if (rest.length !== 1) throw new UsageError('create needs exactly one NAME');
      await c.createExperiment(rest[0], values.description as string | undefined);
      emit(out, { status: 'success', experiment: rest[0] }, undefined, undefined);
      return 0;
    }
    if (sub === 'assign') {
      const [exp, ...us] = rest;
      if (!exp || us.length === 0) throw new UsageError('assign needs EXPERIMENT and at least one UNIT');
      const done: Array<Record<string, unknown>> = [];
      for (const u of us) {
        await c.assign(exp, u);
        done.push({ pioreactor_unit: u, experiment: exp, status: 'assigned' });
      }
      emit(out, done, done, ['pioreactor_unit', 'experiment', 'status']);
      return 0;
    }
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}`);
  },
);

const JOB_TARGET = { units: { type: 'string' }, experiment: { type: 'string' } } as const;

export const runCommand = command(
  'colony run',
  'usage: colony run JOB [--units u1,u2] [--experiment EXP] [--option key=value ...]',
  { ...JOB_TARGET, option: { type: 'string', multiple: true } },
  async ({ positionals, values, out, client }) => {
    const [job] = positionals;
    if (!job || positionals.length > 1) throw new UsageError('give exactly one JOB');
    const options = parseKv((values.option as string[] | undefined) ?? [], '--option');
    const c = client();
    const rows: Array<Record<string, unknown>> = [];
    for (const u of units(values)) {
      const exp = await experimentFor(c, u, values.experiment as string | undefined);
      const result = await c.runJob(u, job, exp, options);
      for (const [unit, started] of Object.entries(result ?? {})) rows.push({ unit, job, experiment: exp, started: started === true ? 'yes' : started === false ? 'no' : 'unreachable' });
    }
    emit(out, rows, rows, ['unit', 'job', 'experiment', 'started']);
    return rows.every((r) => r.started === 'yes') ? 0 : 1;
  },
);

export const stopCommand = command(
  'colony stop',
  'usage: colony stop JOB [--units u1,u2] [--experiment EXP]',
  { ...JOB_TARGET },
  async ({ positionals, values, out, client }) => {
    const [job] = positionals;
    if (!job) throw new UsageError('give the JOB to stop');
    const c = client();
    const rows: Array<Record<string, unknown>> = [];
    for (const u of units(values)) {
      const exp = await experimentFor(c, u, values.experiment as string | undefined);
      await c.stopJob(u, job, exp);
      rows.push({ unit: u, job, experiment: exp, status: 'stop requested' });
    }
    emit(out, rows, rows, ['unit', 'job', 'experiment', 'status']);
    return 0;
  },
);

export const updateCommand = command(
  'colony update',
  'usage: colony update JOB --setting key=value [--setting ...] [--units u1,u2] [--experiment EXP]',
  { ...JOB_TARGET, setting: { type: 'string', multiple: true } },
  async ({ positionals, values, out, client }) => {
    const [job] = positionals;
    if (!job) throw new UsageError('give the JOB to update');
    const settings = parseKv((values.setting as string[] | undefined) ?? [], '--setting');
    if (Object.keys(settings).length === 0) throw new UsageError('give at least one --setting key=value');
    const c = client();
    const rows: Array<Record<string, unknown>> = [];
    for (const u of units(values)) {
      const exp = await experimentFor(c, u, values.experiment as string | undefined);
      await c.updateJob(u, job, exp, settings);
      rows.push({ unit: u, job, experiment: exp, settings });
    }
    emit(out, rows, rows, ['unit', 'job', 'experiment', 'settings']);
    return 0;
  },
);

function logLine(r: LogRow): string {
  return `${r.timestamp}  ${r.level.padEnd(7)} ${r.pioreactor_unit.padEnd(10)} ${r.task ? `[${r.task}] ` : ''}${r.message}`;
}

export const logsCommand = command(
  'colony logs',
  'usage: colony logs [--follow] [--experiment EXP] [--unit U] [--level DEBUG|INFO|NOTICE|WARNING|ERROR] [--limit N]',
  { follow: { type: 'boolean', short: 'f', default: false }, experiment: { type: 'string' }, unit: { type: 'string' }, level: { type: 'string' }, limit: { type: 'string' }, interval: { type: 'string' } },
  async ({ values, out, client }) => {
    const c = client();
    const q = { experiment: values.experiment as string | undefined, unit: values.unit as string | undefined, minLevel: values.level as string | undefined };
    const limit = values.limit ? Number(values.limit) : 50;
    const first = (await c.logs(q)).slice(0, limit).reverse();
    const key = (r: LogRow) => `${r.timestamp}|${r.pioreactor_unit}|${r.task}|${r.message}`;
    const seen = new Set(first.map(key));
    const print = (rows: LogRow[]) => {
      for (const r of rows) out.stdout.write(out.json ? `${JSON.stringify(r)}\n` : `${logLine(r)}\n`);
    };
    print(first);
    if (!values.follow) return 0;
    const every = values.interval ? Number(values.interval) * 1000 : 2000;
    let stop = false;
    process.once('SIGINT', () => (stop = true));
    while (!stop) {
      await new Promise((r) => setTimeout(r, every));
      const fresh = (await c.logs(q)).filter((r) => !seen.has(key(r))).reverse();
      for (const r of fresh) seen.add(key(r));
      print(fresh);
    }
    return 0;
  },
);

export const exportCommand = command(
  'colony export',
  'usage: colony export --datasets od_readings[,growth_rates] [--experiments e1,e2] [--out FILE] [--partition-by-unit] [--partition-by-experiment] [--start TIME] [--end TIME]',
  {
    datasets: { type: 'string' },
    experiments: { type: 'string' },
    out: { type: 'string' },
    'partition-by-unit': { type: 'boolean', default: false },
    'partition-by-experiment': { type: 'boolean', default: false },
    start: { type: 'string' },
    end: { type: 'string' },
  },
  async ({ values, out, client }) => {
    const datasets = ((values.datasets as string | undefined) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (datasets.length === 0) throw new UsageError('give --datasets NAME[,NAME]');
    const experiments = ((values.experiments as string | undefined) ?? '<All experiments>').split(',').map((s) => s.trim()).filter(Boolean);
    const c = client();
    const req: ExportRequest = {
      datasets,
      experiments,
      partition_by_unit: !!values['partition-by-unit'],
      partition_by_experiment: !!values['partition-by-experiment'],
      ...(values.start ? { start_time: values.start as string } : {}),
      ...(values.end ? { end_time: values.end as string } : {}),
    };
    if (!out.quiet && !out.json) out.stderr.write(`exporting ${datasets.join(', ')} ...\n`);
    const made = await c.exportDatasets(req);
    const target = (values.out as string | undefined) ?? basename(made.filename);
    const bar = new ProgressBar(out, `downloading ${basename(target)}`);
    const bytes = await c.download(`/exports/${encodeURIComponent(made.filename)}`, target, (d, t) => bar.update(d, t));
    bar.done();
    emit(out, { filename: made.filename, out: target, bytes }, [{ file: target, bytes, datasets: datasets.join(',') }], ['file', 'bytes', 'datasets']);
    return 0;
  },
);
