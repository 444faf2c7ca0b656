/** The unit's job manager: which jobs exist, which are running, start and stop (one instance per job name). */
import type { AgentContext } from './context.js';
import type { Job, JobStartOptions } from './job.js';

export interface JobOption {
  name: string;
  type: 'float' | 'integer' | 'boolean' | 'string';
  help: string;
  default?: unknown;
}

export interface JobKind {
  name: string;
  help: string;
  /** Fixed experiment (monitor and self_test live under $experiment). */
  experiment?: string;
  options: JobOption[];
  create(ctx: AgentContext, o: JobStartOptions): Job;
}

export class JobError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'bad_request' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

export interface RunningJob {
  job_name: string;
  experiment: string;
  job_source: string;
  job_id: string;
  unit: string;
  started_at: string;
  state: string;
  is_running: 1;
}

export class JobManager {
  readonly kinds = new Map<string, JobKind>();
  readonly running = new Map<string, Job>();

  constructor(private readonly ctx: AgentContext) {}

  register(kind: JobKind): void {
    this.kinds.set(kind.name, kind);
  }

  async run(name: string, o: Partial<JobStartOptions> & { experiment: string }): Promise<Job> {
    const kind = this.kinds.get(name);
    if (!kind) throw new JobError('not_found', `unknown job "${name}"`);
    if (this.running.has(name)) throw new JobError('conflict', `${name} is already running`);
    const options = coerceOptions(kind, o.options ?? {});
    const job = kind.create(this.ctx, { ...o, experiment: kind.experiment ?? o.experiment, options });
    this.running.set(name, job);
    void job.done.then(() => {
      if (this.running.get(name) === job) this.running.delete(name);
    });
    try {
      await job.start();
    } catch (e) {
      this.running.delete(name);
      throw e;
    }
    return job;
  }

  /** Stop matching jobs; returns the names stopped. */
  async stop(filter: { job?: string; experiment?: string; source?: string; all?: boolean }): Promise<string[]> {
    const targets = [...this.running.values()].filter(
      (j) =>
        filter.all ||
        ((filter.job === undefined || j.name === filter.job) &&
          (filter.experiment === undefined || j.experiment === filter.experiment) &&
          (filter.source === undefined || j.source === filter.source)),
    );
    await Promise.all(targets.map((j) => j.stop()));
    return targets.map((j) => j.name);
  }

  list(): RunningJob[] {
    return [...this.running.values()].map((j) => ({
      job_name: j.name,
      experiment: j.experiment,
      job_source: j.source,
      job_id: j.jobId,
      unit: this.ctx.unit,
      started_at: new Date(j.startedAt).toISOString(),
      state: j.state,
      is_running: 1,
    }));
  }
}

/** Options arrive as text (CLI, HTTP, MQTT); coerce by the job's declared types. Unknown options are refused. */
export function coerceOptions(kind: JobKind, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k0, v] of Object.entries(raw)) {
    const k = k0.replace(/-/g, '_');
    const spec = kind.options.find((o) => o.name === k);
    if (!spec) throw new JobError('bad_request', `${kind.name} has no option "${k0}"`);
    if (v === null || v === undefined) continue;
    switch (spec.type) {
      case 'float':
      case 'integer': {
        const n = typeof v === 'number' ? v : Number(String(v).trim());
        if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n)))
          throw new JobError('bad_request', `${kind.name} option ${k}: expected a number, got ${JSON.stringify(v)}`);
        out[k] = n;
        break;
      }
      case 'boolean':
        out[k] = typeof v === 'boolean' ? v : /^(1|true|yes|on|y|t)$/i.test(String(v));
        break;
      default:
        out[k] = String(v);
    }
  }
  return out;
}
