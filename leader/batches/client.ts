/**
 * ColonyAnalytics: the SporeDB-style client (method names of the SporeDB API, camel-cased). Two modes with
 * the same behaviour and the same JSON shapes (service.ts):
 *  - local: `new ColonyAnalytics({ dataDir })` opens `<dataDir>/colony.sqlite` with the leader's migrations
 *    and runs the service in-process (a leader's own data dir works too: SQLite WAL allows both);
 *  - remote: `new ColonyAnalytics({ endpoint, apiKey })`, or COLONY_ENDPOINT / COLONY_API_KEY in the
 *    environment, talks to the leader's `/api/analytics`. The key is optional (loopback needs none).
 * Errors are AnalyticsError in both modes, with the HTTP-style status (400 bad input, 404 unknown batch,
 * 409 not possible on this data). Batches are named by id or by (unique) name.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RealClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/logger.js';
import { openDatabase, type Db } from '../db/open.js';
import { chooseProfile, liveScores, LiveScoreService, type ChosenProfile, type LiveScore } from './live-scores.js';
import {
  AnalyticsError,
  AnalyticsService,
  type AlignResult,
  type AssayRow,
  type Batch,
  type BatchMetrics,
  type BatchScore,
  type CreateBatchOptions,
  type ExportFormat,
  type GoldenProfileDoc,
  type GoldenProfileSummary,
  type ImportResult,
  type NewOperation,
  type PhaseAnnotation,
  type PredictionRow,
  type QueryResult,
  type SoftSensorSpec,
  type TelemetryRow,
  type UnifiedRow,
  type UnitOperation,
} from './service.js';

/** The leader's database file name inside its data dir (leader/leader.ts DB_FILE). */
export const DB_FILE = 'colony.sqlite';

export interface ColonyAnalyticsOptions {
  dataDir?: string;
  endpoint?: string;
  apiKey?: string;
  env?: NodeJS.ProcessEnv;
  requestTimeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const seg = encodeURIComponent;

export class ColonyAnalytics {
  readonly mode: 'local' | 'remote';
  readonly endpoint: string | null;
  private readonly apiKey: string | undefined;
  private readonly db: Db | null;
  private readonly svc: AnalyticsService | null;
  private readonly timeoutMs: number;

  constructor(o: ColonyAnalyticsOptions = {}) {
    const env = o.env ?? process.env;
    const endpoint = o.dataDir ? undefined : (o.endpoint ?? env.COLONY_ENDPOINT);
    this.timeoutMs = o.requestTimeoutMs ?? 120_000;
    if (endpoint) {
      if (!/^https?:\/\//.test(endpoint)) throw new AnalyticsError(400, `endpoint must start with http:// or https://, got ${JSON.stringify(endpoint)}`);
      this.mode = 'remote';
      this.endpoint = endpoint.replace(/\/+$/, '');
      this.apiKey = o.apiKey ?? env.COLONY_API_KEY ?? undefined;
      this.db = null;
      this.svc = null;
    } else {
      if (!o.dataDir) throw new AnalyticsError(400, 'give a data directory (dataDir) or a leader endpoint (endpoint or COLONY_ENDPOINT)');
      this.mode = 'local';
      this.endpoint = null;
      this.apiKey = undefined;
      this.db = openDatabase(join(o.dataDir, DB_FILE));
      this.svc = new AnalyticsService(this.db);
    }
  }

  close(): void {
    this.db?.close();
  }

  /** The in-process service (local mode only). */
  get service(): AnalyticsService {
    if (!this.svc) throw new AnalyticsError(400, 'only a local ColonyAnalytics has an in-process service');
    return this.svc;
  }

  private async http<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body);
    return (await res.json()) as T;
  }

  private async fetch(method: Method, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let res: Response;
    try {
      res = await fetch(`${this.endpoint}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      throw new AnalyticsError(503, `cannot reach the leader at ${this.endpoint} (${cause?.code ?? (e as Error).message})`);
    }
    if (res.status >= 400) {
      let msg = `${method} ${path}: HTTP ${res.status}`;
      try {
        const j = (await res.json()) as { error?: string };
        if (j.error) msg = j.error;
      } catch {
        // not the error schema
      }
      throw new AnalyticsError(res.status, msg);
    }
    return res;
  }

  private b(ref: string): string {
    return `/api/analytics/batches/${seg(ref)}`;
  }

  // ---------------------------------------------------------------- catalogue

  async createBatch(name: string, o: CreateBatchOptions = {}): Promise<Batch> {
    return this.svc ? this.svc.createBatch(name, o) : this.http('POST', '/api/analytics/batches', { name, ...o });
  }

  async listBatches(): Promise<Batch[]> {
    return this.svc ? this.svc.listBatches() : this.http('GET', '/api/analytics/batches');
  }

  async getBatch(ref: string): Promise<Batch | null> {
    if (this.svc) return this.svc.getBatch(ref);
    try {
      return await this.http<Batch>('GET', this.b(ref));
    } catch (e) {
      if (e instanceof AnalyticsError && e.status === 404) return null;
      throw e;
    }
  }

  async deleteBatch(ref: string): Promise<boolean> {
    if (this.svc) return this.svc.deleteBatch(ref);
    try {
      return (await this.http<{ deleted: boolean }>('DELETE', this.b(ref))).deleted;
    } catch (e) {
      if (e instanceof AnalyticsError && e.status === 404) return false;
      throw e;
    }
  }

  // ---------------------------------------------------------------- import

  async importCsv(filePath: string, batchName: string, o: { inoculation?: string | null } = {}): Promise<ImportResult> {
    const text = await readFile(filePath, 'utf8');
    if (this.svc) return this.svc.importCsv(text, batchName, o);
    const r = await this.http<ImportResult[]>('POST', '/api/analytics/import', { name: batchName, format: 'csv', content: text, inoculation: o.inoculation ?? null });
    return r[0];
  }

  /** One result per imported sheet. */
  async importExcel(filePath: string, batchName: string, o: { inoculation?: string | null } = {}): Promise<ImportResult[]> {
    const buf = await readFile(filePath);
    if (this.svc) return this.svc.importExcel(buf, batchName, o);
    return this.http('POST', '/api/analytics/import', { name: batchName, format: 'xlsx', content: buf.toString('base64'), inoculation: o.inoculation ?? null });
  }

  // ---------------------------------------------------------------- data

  async getTelemetry(ref: string, variables?: string[]): Promise<TelemetryRow[]> {
    if (this.svc) return this.svc.getTelemetry(ref, variables);
    return this.http('GET', `${this.b(ref)}/telemetry${variables ? `?variables=${seg(variables.join(','))}` : ''}`);
  }

  async addTelemetry(ref: string, rows: Omit<TelemetryRow, 'elapsed_h'>[]): Promise<number> {
    if (this.svc) return this.svc.addTelemetry(ref, rows);
    return (await this.http<{ added: number }>('POST', `${this.b(ref)}/telemetry`, { rows })).added;
  }

  async getAssay(ref: string): Promise<AssayRow[]> {
    return this.svc ? this.svc.getAssay(ref) : this.http('GET', `${this.b(ref)}/assays`);
  }

  async addAssays(ref: string, rows: AssayRow[]): Promise<number> {
    if (this.svc) return this.svc.addAssays(ref, rows);
    return (await this.http<{ added: number }>('POST', `${this.b(ref)}/assays`, { rows })).added;
  }

  async getUnifiedView(ref: string): Promise<UnifiedRow[]> {
    return this.svc ? this.svc.getUnifiedView(ref) : this.http('GET', `${this.b(ref)}/unified`);
  }

  // ---------------------------------------------------------------- analytics

  async detectPhases(ref: string, o: { signal?: string; min_size?: number } = {}): Promise<PhaseAnnotation[]> {
    return this.svc ? this.svc.detectPhases(ref, o) : this.http('POST', `${this.b(ref)}/phases`, o);
  }

  async detectPhasesOnline(ref: string, o: { signal?: string; hazard_rate?: number; threshold?: number } = {}): Promise<PhaseAnnotation[]> {
    return this.svc ? this.svc.detectPhasesOnline(ref, o) : this.http('POST', `${this.b(ref)}/phases`, { ...o, online: true });
  }

  async getPhases(ref: string): Promise<PhaseAnnotation[]> {
    return this.svc ? this.svc.getPhases(ref) : this.http('GET', `${this.b(ref)}/phases`);
  }

  async computeMetrics(ref: string, o: { signal?: string } = {}): Promise<BatchMetrics[]> {
    return this.svc ? this.svc.computeMetrics(ref, o) : this.http('POST', `${this.b(ref)}/metrics`, o);
  }

  async align(refs: string[], o: { signal?: string; variables?: string[]; resolution_minutes?: number } = {}): Promise<AlignResult> {
    return this.svc ? this.svc.align(refs, o) : this.http('POST', '/api/analytics/align', { batches: refs, ...o });
  }

  async createGoldenProfile(
    refs: string[],
    variables: string[],
    o: { signal?: string; name?: string; metadata?: Record<string, unknown>; resolution_minutes?: number } = {},
  ): Promise<GoldenProfileDoc> {
    return this.svc ? this.svc.createGoldenProfile(refs, variables, o) : this.http('POST', '/api/analytics/golden', { batches: refs, variables, ...o });
  }

  async getGoldenProfile(id: string): Promise<GoldenProfileDoc | null> {
    if (this.svc) return this.svc.getProfile(id);
    try {
      return await this.http<GoldenProfileDoc>('GET', `/api/analytics/golden/${seg(id)}`);
    } catch (e) {
      if (e instanceof AnalyticsError && e.status === 404) return null;
      throw e;
    }
  }

  /** The stored golden profiles, newest first, without their mean and std (getGoldenProfile reads one whole). */
  async listGoldenProfiles(): Promise<GoldenProfileSummary[]> {
    return this.svc ? this.svc.listProfiles() : this.http('GET', '/api/analytics/golden');
  }

  /** `profile`: the profile document (e.g. read from a file) or the id of a stored one. */
  async scoreBatch(profile: GoldenProfileDoc | string, ref: string, o: { max_distance?: number } = {}): Promise<BatchScore> {
    return this.svc ? this.svc.scoreBatch(profile, ref, o) : this.http('POST', '/api/analytics/score', { profile, batch: ref, ...o });
  }

  // ---------------------------------------------------------------- running scores of a cluster experiment

  /** Score every run of `experiment` against `profile` (a document or a stored id) as it grows. */
  async useGoldenProfile(experiment: string, profile: GoldenProfileDoc | string): Promise<ChosenProfile> {
    return this.svc ? chooseProfile(this.svc, experiment, profile, Date.now()) : this.http('PUT', `/api/experiments/${seg(experiment)}/golden_profile`, { profile });
  }

  /** Each unit's latest running score (and history) against the experiment's chosen profile. */
  async liveScores(experiment: string): Promise<ReturnType<typeof liveScores>> {
    return this.svc ? liveScores(this.svc.db, experiment) : this.http('GET', `/api/experiments/${seg(experiment)}/scores`);
  }

  /** Score every run of the experiment now (locally: without publishing; the leader also publishes). */
  async scoreRunsNow(experiment: string): Promise<LiveScore[]> {
    if (!this.svc) return this.http('POST', `/api/experiments/${seg(experiment)}/scores`, {});
    const s = new LiveScoreService({ db: this.svc.db, clock: new RealClock(), log: silentLogger(), intervalMs: 0 });
    try {
      return await s.scoreNow(experiment);
    } finally {
      await s.stop();
    }
  }

  async predictPat(ref: string, sensor: SoftSensorSpec): Promise<PredictionRow[]> {
    return this.svc ? this.svc.predictPat(ref, sensor) : this.http('POST', `${this.b(ref)}/predict`, { sensor });
  }

  async query(dsl: string): Promise<QueryResult> {
    return this.svc ? this.svc.query(dsl) : this.http('POST', '/api/analytics/query', { query: dsl });
  }

  /** The batch's telemetry as CSV, Parquet or Arrow; written to `outputPath` (returns null) or returned. */
  async export(ref: string, format: ExportFormat = 'csv', outputPath?: string): Promise<Buffer | null> {
    const buf = this.svc ? this.svc.exportBatch(ref, format) : Buffer.from(await (await this.fetch('GET', `${this.b(ref)}/export?format=${format}`)).arrayBuffer());
    if (outputPath) {
      await writeFile(outputPath, buf);
      return null;
    }
    return buf;
  }

  // ---------------------------------------------------------------- lineage

  readonly lineage = {
    add: async (op: NewOperation): Promise<UnitOperation> => {
      if (this.svc) return this.svc.addOperation(op);
      const { batch_id, ...rest } = op;
      return this.http('POST', `${this.b(batch_id)}/lineage`, rest);
    },
    get: async (ref: string, o: { from?: string; direction?: 'upstream' | 'downstream' } = {}): Promise<UnitOperation[]> => {
      if (this.svc) return this.svc.getLineage(ref, o);
      const q = new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
      return this.http('GET', `${this.b(ref)}/lineage${q.size ? `?${q.toString()}` : ''}`);
    },
    link: async (child: string, parent: string): Promise<UnitOperation> => {
      if (this.svc) return this.svc.linkOperations(child, parent);
      return this.http('POST', '/api/analytics/lineage/link', { child, parent });
    },
  };
}
