/**
 * Dataset export (pioreactor-api.md §2.8 and §6): descriptors are YAML files (built-in
 * `leader/descriptors/exportable_datasets`, then `<dataDir>/exportable_datasets`, then
 * `<dataDir>/plugins/exportable_datasets`); an export is a zip of CSVs, one folder per dataset and one file
 * per partition, STREAMED: rows come from better-sqlite3 `.iterate()` on a separate read-only connection
 * (so a long download never blocks ingest on the main connection), become CSV chunks and go through
 * `zipStream` to the file (`POST .../export`, then `GET /exports/<file>`, as the UI does) or straight to the
 * response (`POST .../export` with `Accept: application/zip`).
 *
 * A descriptor's `query` runs only if SQLite reports the statement read-only; `table`, `default_order_by`
 * and `timestamp_columns` must be plain identifiers.
 */
import Database from 'better-sqlite3';
import type { FastifyPluginAsync } from 'fastify';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Db } from '../db/open.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { zipStream, type ZipEntry } from '../util/zip.js';
import { csvField } from '../analytics/export/csv.js';
import { builtinDescriptorDir, fileIn } from './admin-util.js';
import { loadDescriptors } from './descriptors.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ident = z.string().regex(IDENT, 'must be a plain SQL identifier');

export const DatasetDescriptor = z
  .looseObject({
    dataset_name: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
    display_name: z.string(),
    description: z.string().nullable(),
    has_experiment: z.boolean(),
    has_unit: z.boolean(),
    default_order_by: ident.nullable(),
    table: ident.optional(),
    query: z.string().optional(),
    source: z.string().default('app'),
    timestamp_columns: z.array(ident).default([]),
    always_partition_by_unit: z.boolean().default(false),
  })
  .refine((d) => d.table !== undefined || d.query !== undefined, { message: 'one of table or query is required' });
export type DatasetDescriptor = z.output<typeof DatasetDescriptor>;

export const ExportRequest = z.object({
  datasets: z.array(z.string()).min(1, 'At least one dataset name must be provided.'),
  experiments: z.array(z.string()),
  partition_by_unit: z.boolean().default(false),
  partition_by_experiment: z.boolean().default(false),
  start_time: z.string().regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/, 'expected YYYY-MM-DDTHH:MM:SS (local time)').nullable().optional(),
  end_time: z.string().regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/, 'expected YYYY-MM-DDTHH:MM:SS (local time)').nullable().optional(),
});
export type ExportRequest = z.output<typeof ExportRequest>;

export function datasetDirs(ctx: LeaderContext): string[] {
  return [builtinDescriptorDir('exportable_datasets'), join(ctx.dataDir, 'exportable_datasets'), join(ctx.dataDir, 'plugins', 'exportable_datasets')];
}

export function loadDatasets(ctx: LeaderContext): DatasetDescriptor[] {
  return loadDescriptors(ctx, datasetDirs(ctx), DatasetDescriptor as unknown as z.ZodType<DatasetDescriptor>, 'dataset_name');
}

const q = (id: string) => `"${id}"`;

function sourceSql(db: Db, d: DatasetDescriptor): string {
  if (d.table) return q(d.table);
  const sql = (d.query ?? '').trim().replace(/;\s*$/, '');
  let readonly: boolean;
  try {
    readonly = db.prepare(sql).readonly;
  } catch (e) {
    throw new ApiError(400, `Dataset ${d.dataset_name}: its query does not compile: ${(e as Error).message}`);
  }
  if (!readonly) throw new ApiError(400, `Dataset ${d.dataset_name}: its query is not read-only`);
  return `(${sql})`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const localStamp = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
const utcStamp = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
/** A zip path segment from data (experiment or unit names). */
const segment = (s: string) => s.replace(/\s/g, '_').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return String(Number.isInteger(v) ? v : Number(v.toFixed(12)));
  }
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return csvField(v.toString('utf8'));
  return csvField(String(v));
}

interface Plan {
  d: DatasetDescriptor;
  sql: string;
  params: unknown[];
  byExp: boolean;
  byUnit: boolean;
}

function plan(db: Db, d: DatasetDescriptor, req: ExportRequest): Plan {
  const src = sourceSql(db, d);
  const cols = ['T.*'];
  for (const c of d.timestamp_columns) cols.push(`strftime('%Y-%m-%d %H:%M:%f', T.${q(c)}, 'localtime') AS ${q(`${c}_localtime`)}`);
  const order = d.default_order_by;
  if (d.has_experiment && order) cols.push(`(unixepoch(T.${q(order)}, 'subsec') - unixepoch(E.created_at, 'subsec')) / 3600.0 AS hours_since_experiment_created`);
  let sql = `SELECT ${cols.join(', ')} FROM ${src} AS T`;
  if (d.has_experiment) sql += ' LEFT JOIN experiments E ON E.experiment = T.experiment';
  const where: string[] = [];
  const params: unknown[] = [];
  const all = req.experiments.length === 0 || req.experiments[0] === '<All experiments>';
  if (d.has_experiment && !all) {
    where.push(`T.experiment IN (${req.experiments.map(() => '?').join(', ')})`);
    params.push(...req.experiments);
  }
  if (order && req.start_time) {
    where.push(`strftime('%Y-%m-%dT%H:%M:%S', T.${q(order)}, 'localtime') >= ?`);
    params.push(req.start_time.replace(' ', 'T'));
  }
  if (order && req.end_time) {
    where.push(`strftime('%Y-%m-%dT%H:%M:%S', T.${q(order)}, 'localtime') <= ?`);
    params.push(req.end_time.replace(' ', 'T'));
  }
  if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
  const byExp = d.has_experiment && req.partition_by_experiment;
  const byUnit = d.has_unit && (req.partition_by_unit || d.always_partition_by_unit);
  const orderBy = [...(byExp ? ['T.experiment'] : []), ...(byUnit ? ['T.pioreactor_unit'] : []), ...(order ? [`T.${q(order)}`] : [])];
  if (orderBy.length) sql += ` ORDER BY ${orderBy.join(', ')}`;
  return { d, sql, params, byExp, byUnit };
}

/** The zip entries of an export, produced lazily: each partition's CSV streams from one shared row iterator. */
async function* exportEntries(db: Db, plans: Plan[], now: Date): AsyncGenerator<ZipEntry> {
  const stamp = localStamp(now);
  for (const p of plans) {
    const name = p.d.dataset_name;
    yield { name: `${name}/`, data: new Uint8Array(0), method: 'store', mtime: now };
    const stmt = db.prepare(p.sql);
    const columns = stmt.columns().map((c) => c.name);
    const it = stmt.iterate(...p.params) as IterableIterator<Record<string, unknown>>;
    let next = it.next();
    try {
      while (!next.done) {
        const first = next.value;
        const exp = p.byExp ? String(first.experiment ?? '') : 'all_experiments';
        const unit = p.byUnit ? String(first.pioreactor_unit ?? '') : 'all_units';
        const partOf = (r: Record<string, unknown>) => (p.byExp ? String(r.experiment ?? '') : 'all_experiments') + '\0' + (p.byUnit ? String(r.pioreactor_unit ?? '') : 'all_units');
        const key = partOf(first);
        const rows = function* (): Generator<Uint8Array> {
          let buf = columns.map(csvField).join(',') + '\r\n';
          while (!next.done && partOf(next.value) === key) {
            const r = next.value;
            buf += columns.map((c) => cell(r[c])).join(',') + '\r\n';
            if (buf.length >= 64 * 1024) {
              yield Buffer.from(buf, 'utf8');
              buf = '';
            }
            next = it.next();
          }
          if (buf) yield Buffer.from(buf, 'utf8');
        };
        yield { name: `${name}/${segment(`${name}-${exp}-${unit}-${stamp}`)}.csv`, data: rows(), mtime: now };
      }
    } finally {
      it.return?.();
    }
  }
}

/** A read-only connection for streaming (WAL lets it read while ingest writes); the main one for `:memory:`. */
function readerFor(db: Db): { db: Db; close: () => void } {
  if (db.memory || !db.name || !existsSync(db.name)) return { db, close: () => undefined };
  const r = new Database(db.name, { readonly: true, fileMustExist: true });
  r.pragma('busy_timeout = 15000');
  return { db: r, close: () => r.close() };
}

/** Validate the request against the descriptors; the zip as a stream of Buffers. */
export function exportZip(ctx: LeaderContext, req: ExportRequest): { filename: string; stream: AsyncGenerator<Buffer> } {
  const byName = new Map(loadDatasets(ctx).map((d) => [d.dataset_name, d]));
  const chosen: DatasetDescriptor[] = [];
  for (const n of req.datasets) {
    const d = byName.get(n);
    if (!d) ctx.log.warn({ dataset: n }, 'export: unknown dataset skipped');
    else chosen.push(d);
  }
  if (chosen.length === 0) throw new ApiError(400, 'None of the requested datasets exist.', `Unknown dataset(s): ${req.datasets.join(', ')}`);
  const plans = chosen.map((d) => plan(ctx.db, d, req));
  const now = new Date(ctx.clock.now());
  const filename = `export_${utcStamp(now)}.zip`;
  async function* stream(): AsyncGenerator<Buffer> {
    const reader = readerFor(ctx.db);
    try {
      yield* zipStream(exportEntries(reader.db, plans, now));
    } finally {
      reader.close();
    }
  }
  return { filename, stream: stream() };
}

export const exportDir = (ctx: LeaderContext) => join(ctx.dataDir, 'exports');

export const datasetRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get('/api/datasets/exportable', async (_req, reply) => reply.header('Cache-Control', 'public, max-age=60').send(loadDatasets(ctx)));

  app.get<{ Params: { name: string }; Querystring: { n_rows?: string } }>('/api/datasets/exportable/:name/preview', async (req) => {
    const d = loadDatasets(ctx).find((x) => x.dataset_name === req.params.name);
    if (!d) throw new ApiError(404, `${req.params.name} not found`);
    const n = req.query.n_rows === undefined ? 5 : Number(req.query.n_rows);
    if (!Number.isInteger(n) || n < 0 || n > 1000) throw new ApiError(400, 'n_rows must be an integer from 0 to 1000');
    const rows = ctx.db.prepare(`SELECT * FROM ${sourceSql(ctx.db, d)} LIMIT ?`).all(n) as Array<Record<string, unknown>>;
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : Buffer.isBuffer(v) ? v.toString('utf8') : v])));
  });

  app.post('/api/datasets/exportable/export', async (req, reply) => {
    const r = ExportRequest.safeParse(req.body ?? {});
    if (!r.success) {
      const i = r.error.issues[0];
      throw new ApiError(400, `${i?.path.join('.') || 'body'}: ${i?.message ?? 'invalid'}`, 'The export request is invalid.');
    }
    const { filename, stream } = exportZip(ctx, r.data);
    const accept = String(req.headers.accept ?? '');
    if (accept.includes('application/zip')) {
      return reply
        .type('application/zip')
        .header('Content-Disposition', `attachment; filename="${filename}"`)
        .send(Readable.from(stream));
    }
    const dir = exportDir(ctx);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, filename);
    const tmp = `${target}.part`;
    try {
      await pipeline(Readable.from(stream), createWriteStream(tmp));
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return { result: true, filename, msg: 'Finished' };
  });

  app.get<{ Params: { filename: string } }>('/exports/:filename', async (req, reply) => {
    const name = req.params.filename;
    if (!name.endsWith('.zip')) throw new ApiError(404, `${name} not found`);
    const p = fileIn(exportDir(ctx), name);
    if (!existsSync(p)) throw new ApiError(404, `${name} not found`);
    return reply
      .type('application/zip')
      .header('Content-Length', statSync(p).size)
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .send(createReadStream(p));
  });
};
