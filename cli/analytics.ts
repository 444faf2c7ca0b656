/**
 * `colony analytics`: the analytics client from the command line, on a local data dir or a leader.
 *
 *   colony analytics import FILE --name NAME [--inoculation TS]      (.csv, or .xlsx/.xlsm)
 *   colony analytics batches
 *   colony analytics phases BATCH [--signal VAR] [--min-size N] [--online]
 *   colony analytics metrics BATCH [--signal VAR]
 *   colony analytics align BATCH BATCH... [--signal VAR]
 *   colony analytics golden BATCH BATCH... --variables A,B [--signal VAR] [--out FILE]
 *   colony analytics score PROFILE(.json file | id) BATCH
 *   colony analytics use-golden PROFILE(.json file | id) --experiment EXP   (score EXP's runs as they grow)
 *   colony analytics scores EXP [--now]                                     (each unit's running score)
 *   colony analytics query "SELECT OD600 FROM batches WHERE name = 'x'"
 *   colony analytics export BATCH [--format csv|parquet|arrow] --out FILE
 *
 * Where: --data-dir DIR (a local `<DIR>/colony.sqlite`), else --endpoint URL / --api-key KEY (or
 * COLONY_ENDPOINT / COLONY_API_KEY). --json prints machine-readable output. Exit codes: 0 ok, 1 failed,
 * 2 usage.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CommandModule } from './commands.js';
import { ColonyAnalytics } from '../leader/batches/client.js';
import { AnalyticsError, type GoldenProfileDoc } from '../leader/batches/service.js';
import { defaultOut, emit, type Out } from './client/output.js';

const USAGE = `usage: colony analytics <import|batches|phases|metrics|align|golden|score|use-golden|scores|query|export> ... [--data-dir DIR | --endpoint URL] [--json]`;

class Usage extends Error {}

const list = (v: unknown): string[] | undefined =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;
const num = (v: unknown, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Usage(`${flag} expects a number`);
  return n;
};
const fmt = (v: number | null | undefined, d = 3): string => (v === null || v === undefined ? '-' : v.toFixed(d));

/** A profile argument: a JSON file written by `golden --out`, else the id of a stored profile. */
async function profileArg(a: string): Promise<GoldenProfileDoc | string> {
  return existsSync(a) ? (JSON.parse(await readFile(a, 'utf8')) as GoldenProfileDoc) : a;
}

async function dispatch(cmd: string, pos: string[], v: Record<string, unknown>, c: ColonyAnalytics, out: Out): Promise<number> {
  const need = (n: number, what: string) => {
    if (pos.length < n) throw new Usage(`analytics ${cmd} needs ${what}`);
  };
  switch (cmd) {
    case 'import': {
      need(1, 'a FILE');
      const file = pos[0];
      const name = (v.name as string | undefined) ?? file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
      const o = { inoculation: (v.inoculation as string | undefined) ?? null };
      const results = /\.xls[xm]$/i.test(file) ? await c.importExcel(file, name, o) : [await c.importCsv(file, name, o)];
      emit(out, results.length === 1 ? results[0] : results, results.map((r) => ({ ...r, warnings: r.warnings.length })), ['batch_name', 'batch_id', 'rows_imported', 'records_imported', 'warnings']);
      return 0;
    }
    case 'batches': {
      const bs = await c.listBatches();
      emit(out, bs, bs.map((b) => ({ ...b, tags: b.tags.join(',') })), ['name', 'batch_id', 'lifecycle', 'source', 'strain', 'started_at']);
      return 0;
    }
    case 'phases': {
      need(1, 'a BATCH');
      const signal = v.signal as string | undefined;
      const ps = v.online ? await c.detectPhasesOnline(pos[0], { signal }) : await c.detectPhases(pos[0], { signal, min_size: num(v['min-size'], '--min-size') });
      emit(out, ps, ps.map((p) => ({ ...p, start_h: fmt(p.start_h, 2), end_h: fmt(p.end_h, 2), confidence: fmt(p.confidence, 2), growth_rate: fmt(p.growth_rate, 4) })), [
        'phase_type', 'start_ts', 'end_ts', 'start_h', 'end_h', 'growth_rate', 'confidence',
      ]);
      return 0;
    }
    case 'metrics': {
      need(1, 'a BATCH');
      const ms = await c.computeMetrics(pos[0], { signal: v.signal as string | undefined });
      emit(out, ms, ms.map((m) => ({ ...m, mu: fmt(m.mu, 4), r_squared: fmt(m.r_squared, 3), mu_std_err: fmt(m.mu_std_err, 4) })), ['phase_type', 'mu', 'mu_std_err', 'r_squared', 'signal_variable']);
      return 0;
    }
    case 'align': {
      need(1, 'at least one BATCH');
      const a = await c.align(pos, { signal: v.signal as string | undefined, variables: list(v.variables), resolution_minutes: num(v.resolution, '--resolution') });
      if (v.out) await writeFile(v.out as string, JSON.stringify(a));
      emit(out, v.json ? a : `aligned ${pos.length} batches: ${a.elapsed_hours.length} time points, columns ${Object.keys(a.columns).join(', ')}`);
      return 0;
    }
    case 'golden': {
      need(1, 'at least one BATCH');
      const variables = list(v.variables);
      if (!variables?.length) throw new Usage('analytics golden needs --variables A,B');
      const p = await c.createGoldenProfile(pos, variables, { signal: v.signal as string | undefined, name: v.name as string | undefined, resolution_minutes: num(v.resolution, '--resolution') });
      if (v.out) await writeFile(v.out as string, `${JSON.stringify(p, null, 1)}\n`);
      emit(out, v.json ? p : `golden profile ${p.profile_id}: ${p.variables.join(', ')} over ${p.elapsed_hours.length} time points from ${pos.join(', ')}${v.out ? `, written to ${v.out as string}` : ''}`);
      return 0;
    }
    case 'score': {
      need(2, 'a PROFILE (file or id) and a BATCH');
      const s = await c.scoreBatch(await profileArg(pos[0]), pos[1]);
      emit(out, v.json ? s : `score ${s.score.toFixed(2)} (dtw_normalized_distance ${s.dtw_normalized_distance}) for ${pos[1]} against ${s.profile_id}`);
      return 0;
    }
    case 'use-golden': {
      need(1, 'a PROFILE (file or id)');
      const experiment = v.experiment as string | undefined;
      if (!experiment) throw new Usage('analytics use-golden needs --experiment EXP');
      const c1 = await c.useGoldenProfile(experiment, await profileArg(pos[0]));
      emit(out, v.json ? c1 : `runs of ${experiment} are now scored against ${c1.profile_name ?? c1.profile_id}`);
      return 0;
    }
    case 'scores': {
      need(1, 'an EXPERIMENT');
      if (v.now) await c.scoreRunsNow(pos[0]);
      const r = await c.liveScores(pos[0]);
      if (!r.profile && !v.json) throw new Error(`no golden profile is chosen for ${pos[0]} (colony analytics use-golden PROFILE --experiment ${pos[0]})`);
      emit(out, r, r.units.map((u) => ({ ...u, score: u.score.toFixed(2), matched_h: fmt(u.matched_h, 2), scores: u.history.length })), ['pioreactor_unit', 'score', 'matched_h', 'scored_at', 'scores']);
      return 0;
    }
    case 'query': {
      need(1, 'a QUERY');
      const r = await c.query(pos.join(' '));
      emit(out, r, r.rows, r.columns);
      return 0;
    }
    case 'export': {
      need(1, 'a BATCH');
      const format = ((v.format as string | undefined) ?? 'csv') as 'csv' | 'parquet' | 'arrow';
      if (!['csv', 'parquet', 'arrow'].includes(format)) throw new Usage('--format is csv, parquet or arrow');
      if (v.out) {
        await c.export(pos[0], format, v.out as string);
        emit(out, v.json ? { written: v.out } : `wrote ${v.out as string}`);
      } else out.stdout.write((await c.export(pos[0], format)) ?? '');
      return 0;
    }
    default:
      throw new Usage(`unknown analytics command ${JSON.stringify(cmd)}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  let r;
  try {
    r = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        endpoint: { type: 'string' },
        'api-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        name: { type: 'string' },
        inoculation: { type: 'string' },
        signal: { type: 'string' },
        'min-size': { type: 'string' },
        online: { type: 'boolean', default: false },
        variables: { type: 'string' },
        resolution: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        experiment: { type: 'string' },
        now: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`colony analytics: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = r.values as Record<string, unknown>;
  const [cmd, ...pos] = r.positionals;
  if (v.help || !cmd) {
    process.stdout.write(`${USAGE}\n`);
    return v.help ? 0 : 2;
  }
  const out = defaultOut(!!v.json);
  let c: ColonyAnalytics | null = null;
  try {
    c = new ColonyAnalytics({ dataDir: v['data-dir'] as string | undefined, endpoint: v.endpoint as string | undefined, apiKey: v['api-key'] as string | undefined });
    return await dispatch(cmd, pos, v, c, out);
  } catch (e) {
    if (e instanceof Usage) {
      process.stderr.write(`colony analytics: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    const status = e instanceof AnalyticsError ? e.status : null;
    if (out.json) process.stderr.write(`${JSON.stringify({ error: (e as Error).message, status })}\n`);
    else process.stderr.write(`colony analytics ${cmd}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    c?.close();
  }
}

export default { run } satisfies CommandModule;
