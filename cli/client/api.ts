/**
 * A typed client for the leader's `/api` (reference/pioreactor-api.md): Bearer auth, the error schema
 * (`error_info.cause` / `remediation` kept on the thrown error), and the 202 task pattern (§1.3: poll
 * `result_url_path` until 200). Endpoint and key: options, else COLONY_ENDPOINT / COLONY_API_KEY.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4999';

export interface ClientOptions {
  endpoint?: string;
  apiKey?: string;
  /** Poll interval for 202 tasks (default 200 ms, as the UI). */
  pollIntervalMs?: number;
  /** Give up on a task after this long (default 120 s). */
  taskTimeoutMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** An `/api` error: the message plus the API's cause and remediation, or a connection failure. */
export class ColonyApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly causeText: string | null,
    readonly remediation: string | null,
  ) {
    super(message);
    this.name = 'ColonyApiError';
  }
}

export interface TaskStub {
  unit?: string;
  task_id: string;
  result_url_path: string;
  status?: string;
}

export interface Worker {
  pioreactor_unit: string;
  added_at: string;
  is_active: number;
  model_name: string | null;
  model_version: string | null;
}

export interface Experiment {
  experiment: string;
  created_at: string;
  description: string | null;
  delta_hours: number;
}

export interface DiscoveredWorker {
  pioreactor_unit: string;
  host?: string;
  addresses?: string[];
  version?: string | null;
  source?: string;
}

export interface LogRow {
  timestamp: string;
  level: string;
  pioreactor_unit: string;
  message: string;
  task: string;
  experiment: string;
}

export interface ClusterHealthReport {
  leader: string;
  version: string;
  clock_time: string;
  clock_drift_warn_seconds: number;
  units: Array<{ unit: string; clock_offset_ms: number | null; version: string | null; version_matches: boolean | null }>;
}

export interface ExportRequest {
  datasets: string[];
  experiments: string[];
  partition_by_unit?: boolean;
  partition_by_experiment?: boolean;
  start_time?: string;
  end_time?: string;
}

export type Progress = (done: number, total: number | null) => void;

function isTaskStub(b: unknown): b is TaskStub {
  return !!b && typeof b === 'object' && typeof (b as TaskStub).task_id === 'string' && typeof (b as TaskStub).result_url_path === 'string';
}

const seg = encodeURIComponent;

export class ColonyClient {
  readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly pollMs: number;
  private readonly taskTimeoutMs: number;
  private readonly requestTimeoutMs: number;

  constructor(o: ClientOptions = {}) {
    const env = o.env ?? process.env;
    this.endpoint = (o.endpoint ?? env.COLONY_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.endpoint)) throw new ColonyApiError(`endpoint must start with http:// or https://, got ${JSON.stringify(this.endpoint)}`, null, null, 'Pass --endpoint http://leader.local:4999 or set COLONY_ENDPOINT.');
    this.apiKey = o.apiKey ?? env.COLONY_API_KEY ?? undefined;
    this.pollMs = o.pollIntervalMs ?? 200;
    this.taskTimeoutMs = o.taskTimeoutMs ?? 120_000;
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.apiKey) h.authorization = `Bearer ${this.apiKey}`;
    return h;
  }

  /** One HTTP exchange; throws ColonyApiError on a connection failure or a status >= 400. */
  async raw(method: string, path: string, body?: unknown, accept?: string): Promise<Response> {
    const url = `${this.endpoint}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers({ ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(accept ? { accept } : {}) }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new ColonyApiError(
        `cannot reach the leader at ${this.endpoint} (${why})`,
        null,
        why,
        'Check that the leader runs (systemctl status colony-leader) and that --endpoint / COLONY_ENDPOINT points at it.',
      );
    }
    if (res.status >= 400) {
      let b: { error?: string; error_info?: { cause?: string; remediation?: string } } = {};
      try {
        b = (await res.json()) as typeof b;
      } catch {
        // not JSON
      }
      const remediation =
        b.error_info?.remediation ?? (res.status === 401 ? 'Pass --api-key or set COLONY_API_KEY (the leader\'s [auth] api_keys).' : null);
      throw new ColonyApiError(`${method} ${path}: ${res.status} ${b.error ?? res.statusText}`, res.status, b.error_info?.cause ?? null, remediation);
    }
    return res;
  }

  /** A JSON call; a 202 task stub is followed to its result. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (res.status === 202 && isTaskStub(parsed)) return this.awaitTask<T>(parsed);
    return parsed as T;
  }

  /** Poll a task until it completes (§1.3); a failed task throws with its error_info. */
  async awaitTask<T>(stub: TaskStub): Promise<T> {
    const end = Date.now() + this.taskTimeoutMs;
    for (;;) {
      const res = await this.raw('GET', stub.result_url_path).catch((e: unknown) => {
        if (e instanceof ColonyApiError && e.status !== null && e.status >= 500) throw new ColonyApiError(`task ${stub.task_id} failed: ${e.message}`, e.status, e.causeText, e.remediation ?? 'Check the leader log (journalctl -u colony-leader) and retry.');
        throw e;
      });
      if (res.status === 200) {
        const b = (await res.json()) as { result?: T };
        return b.result as T;
      }
      await res.body?.cancel();
      if (Date.now() > end) throw new ColonyApiError(`task ${stub.task_id} did not finish within ${Math.round(this.taskTimeoutMs / 1000)} s`, null, null, 'The units may be slow or offline: check `colony workers list` and retry.');
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  // --- typed endpoints ---------------------------------------------------------------------------

  health(): Promise<{ status: string; unit: string; version: string }> {
    return this.call('GET', '/api/health');
  }
  clusterHealth(): Promise<ClusterHealthReport> {
    return this.call('GET', '/api/cluster/health');
  }
  workers(): Promise<Worker[]> {
    return this.call('GET', '/api/workers');
  }
  addWorker(unit: string, model?: { name?: string; version?: string }): Promise<{ status: string }> {
    return this.call('PUT', '/api/workers', { pioreactor_unit: unit, model_name: model?.name, model_version: model?.version });
  }
  removeWorker(unit: string): Promise<unknown> {
    return this.call('DELETE', `/api/workers/${seg(unit)}`);
  }
  discover(): Promise<DiscoveredWorker[]> {
    return this.call('GET', '/api/workers/discover');
  }
  experiments(): Promise<Experiment[]> {
    return this.call('GET', '/api/experiments');
  }
  createExperiment(experiment: string, description?: string): Promise<{ status: string }> {
    return this.call('POST', '/api/experiments', { experiment, description });
  }
  assign(experiment: string, unit: string): Promise<{ status: string }> {
    return this.call('PUT', `/api/experiments/${seg(experiment)}/workers`, { pioreactor_unit: unit });
  }
  experimentWorkers(experiment: string): Promise<Array<{ pioreactor_unit: string; is_active: number }>> {
    return this.call('GET', `/api/experiments/${seg(experiment)}/workers`);
  }
  /** The experiment a unit is assigned to, or null. */
  async assignedExperiment(unit: string): Promise<string | null> {
    try {
      const r = await this.call<{ experiment?: string }>('GET', `/api/workers/${seg(unit)}/experiment`);
      return r?.experiment ?? null;
    } catch (e) {
      if (e instanceof ColonyApiError && e.status === 404) return null;
      throw e;
    }
  }
  /** Start a job; resolves to `{unit: true|false|null}`. */
  runJob(unit: string, job: string, experiment: string, options: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.call('POST', `/api/workers/${seg(unit)}/jobs/run/job_name/${seg(job)}/experiments/${seg(experiment)}`, { options, args: [], env: { JOB_SOURCE: 'cli' } });
  }
  stopJob(unit: string, job: string, experiment: string): Promise<unknown> {
    return this.call('POST', `/api/workers/${seg(unit)}/jobs/stop/job_name/${seg(job)}/experiments/${seg(experiment)}`);
  }
  updateJob(unit: string, job: string, experiment: string, settings: Record<string, unknown>): Promise<unknown> {
    return this.call('PATCH', `/api/workers/${seg(unit)}/jobs/update/job_name/${seg(job)}/experiments/${seg(experiment)}`, { settings });
  }
  logs(o: { experiment?: string; unit?: string; skip?: number; minLevel?: string } = {}): Promise<LogRow[]> {
    const q = new URLSearchParams();
    if (o.skip) q.set('skip', String(o.skip));
    if (o.minLevel) q.set('min_level', o.minLevel);
    const base = o.experiment && o.unit ? `/api/workers/${seg(o.unit)}/experiments/${seg(o.experiment)}/logs` : o.experiment ? `/api/experiments/${seg(o.experiment)}/logs` : o.unit ? `/api/units/${seg(o.unit)}/logs` : '/api/logs';
    return this.call('GET', `${base}${q.size ? `?${q}` : ''}`);
  }
  exportDatasets(req: ExportRequest): Promise<{ result: boolean; filename: string; msg: string }> {
    return this.call('POST', '/api/datasets/exportable/export', { partition_by_unit: false, partition_by_experiment: false, ...req });
  }

  /** Stream a file (e.g. `/exports/<name>`) to `out` (written to `out.part`, then renamed), reporting progress. */
  async download(path: string, out: string, progress?: Progress): Promise<number> {
    const res = await this.raw('GET', path, undefined, '*/*');
    const total = Number(res.headers.get('content-length')) || null;
    const tmp = `${out}.part`;
    const file = createWriteStream(tmp);
    let done = 0;
    try {
      if (!res.body) throw new ColonyApiError(`GET ${path}: empty body`, res.status, null, null);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        done += chunk.length;
        if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
        progress?.(done, total);
      }
      await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
      await rename(tmp, out);
    } catch (e) {
      file.destroy();
      await rm(tmp, { force: true });
      throw e;
    }
    return done;
  }
}
