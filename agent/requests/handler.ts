/**
 * Request/reply over MQTT (docs/protocol.md §2, methods in §3). One reply per request id, always; a repeated id is
 * answered with the stored reply and does not run again.
 */
import { z } from 'zod';
import { formatTimestamp } from '../../shared/timestamps.js';
import { formatZodError, parsePayload, RequestMessage } from '../../shared/payloads.js';
import { topics } from '../../shared/topics.js';
import type { Agent } from '../agent.js';
import { JobError } from '../runtime/manager.js';
import { CalibrationStore, type Family } from './calibrations.js';
import { pumpsDose } from './pumps.js';

export class RequestError extends Error {
  constructor(
    readonly code: 'bad_request' | 'unknown_method' | 'not_found' | 'conflict' | 'refused' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

type Handler = (params: Record<string, unknown>) => Promise<unknown> | unknown;

const str = z.string().min(1).max(200);
const P = {
  run: z.strictObject({
    job: str,
    options: z.record(z.string(), z.unknown()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    experiment: str.optional(),
    source: str.optional(),
  }),
  stop: z.strictObject({ job: str.optional(), experiment: str.optional(), source: str.optional() }),
  settings: z.strictObject({ job: str, setting: str.optional() }),
  device: z.strictObject({ device: str.optional() }),
  one: z.strictObject({ device: str, name: str }),
  create: z.strictObject({ device: str, body: z.record(z.string(), z.unknown()), set_active: z.boolean().optional() }),
  clear: z.strictObject({ device: str }),
  empty: z.strictObject({}),
};

function parse<T extends z.ZodType>(schema: T, params: unknown): z.infer<T> {
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw new RequestError('bad_request', formatZodError(r.error));
  return r.data;
}

export class RequestHandler {
  private readonly replies = new Map<string, string>();
  private readonly inProgress = new Map<string, Promise<string>>();
  readonly methods = new Map<string, Handler>();

  constructor(private readonly agent: Agent) {
    const a = agent;
    const m = this.methods;
    m.set('jobs.run', async (p) => {
      const q = parse(P.run, p);
      const exp = q.experiment ?? a.experiment;
      const job = await a.manager.run(q.job, { experiment: exp, options: q.options, env: q.env, source: q.source ?? 'user' });
      return { job_name: job.name, experiment: job.experiment, job_id: job.jobId, state: job.state };
    });
    m.set('jobs.stop', async (p) => {
      const q = parse(P.stop, p);
      if (!q.job && !q.experiment && !q.source) throw new RequestError('bad_request', 'No job filter specified');
      return { stopped: await a.manager.stop(q) };
    });
    m.set('jobs.stop_all', async (p) => {
      parse(P.empty, p);
      return { stopped: await a.manager.stop({ all: true }) };
    });
    m.set('jobs.running', (p) => {
      parse(P.empty, p);
      return a.manager.list();
    });
    m.set('jobs.settings', (p) => {
      const q = parse(P.settings, p);
      const job = a.manager.running.get(q.job);
      if (!job) throw new RequestError('not_found', 'No settings found for job.');
      const all = job.settingValues();
      if (q.setting === undefined) return { settings: all };
      if (!(q.setting in all)) throw new RequestError('not_found', 'Setting not found.');
      return { [q.setting]: all[q.setting] };
    });
    m.set('capabilities', () => a.capabilities());
    m.set('versions', () => a.versions());
    m.set('clock', () => ({ status: 'success', clock_time: formatTimestamp(a.ctx.clock.now()) }));
    m.set('plugins.list', () => []);
    m.set('pumps.dose', pumpsDose(a));
    m.set('blink', async () => {
      await a.blink();
      return { ok: true };
    });
    for (const what of ['reboot', 'shutdown'] as const) {
      m.set(`system.${what}`, () => {
        if (a.ctx.hw.info.backend !== 'pi') throw new RequestError('refused', `${what} is refused on the ${a.ctx.hw.info.backend} backend`);
        return a.powerAction(what);
      });
    }
    for (const fam of ['calibrations', 'estimators'] as Family[]) {
      const cs = () => new CalibrationStore(a.ctx.store, fam);
      m.set(`${fam}.list`, (p) => cs().list(parse(P.device, p).device));
      m.set(`${fam}.active`, (p) => (parse(P.empty, p), cs().active()));
      m.set(`${fam}.get`, (p) => {
        const q = parse(P.one, p);
        const c = cs().get(q.device, q.name);
        if (!c) throw new RequestError('not_found', `${fam.slice(0, -1)} ${q.device}/${q.name} not found`);
        return c;
      });
      m.set(`${fam}.create`, (p) => {
        const q = parse(P.create, p);
        if (fam === 'calibrations') {
          const r = z.looseObject({ calibration_name: str }).safeParse(q.body);
          if (!r.success) throw new RequestError('bad_request', `body: ${formatZodError(r.error)}`);
        }
        const out = cs().create(q.device, q.body, q.set_active ?? false);
        return { msg: fam === 'calibrations' ? 'Calibration created successfully.' : 'Estimator created successfully.', path: out.path, name: out.name };
      });
      m.set(`${fam}.delete`, (p) => {
        const q = parse(P.one, p);
        if (!cs().delete(q.device, q.name)) throw new RequestError('not_found', `${q.device}/${q.name} not found`);
        return { msg: `Deleted ${q.device}/${q.name}.` };
      });
      m.set(`${fam}.set_active`, (p) => {
        const q = parse(P.one, p);
        if (!cs().setActive(q.device, q.name)) throw new RequestError('not_found', `${q.device}/${q.name} not found`);
        return { status: 'success' };
      });
      m.set(`${fam}.clear_active`, (p) => {
        cs().clearActive(parse(P.clear, p).device);
        return { status: 'success' };
      });
    }
  }

  /** Handle one inbound request message. */
  async handle(topic: string, payload: Buffer): Promise<void> {
    const id = topic.split('/').pop() ?? '';
    const cached = this.replies.get(id);
    if (cached) {
      this.send(id, cached);
      return;
    }
    const running = this.inProgress.get(id);
    if (running) {
      this.send(id, await running); // a duplicate while the first still runs: same reply, run once
      return;
    }
    const p = this.run(id, payload);
    this.inProgress.set(id, p);
    const text = await p;
    this.inProgress.delete(id);
    this.replies.set(id, text);
    if (this.replies.size > 1000) this.replies.delete(this.replies.keys().next().value!);
    this.send(id, text);
  }

  private async run(id: string, payload: Buffer): Promise<string> {
    let reply: Record<string, unknown>;
    const parsed = parsePayload(RequestMessage, payload);
    if (!parsed.ok) {
      reply = { id, ok: false, error: { code: 'bad_request', message: parsed.error } };
    } else {
      const { method, params } = parsed.value;
      const h = this.methods.get(method);
      if (!h) reply = { id, ok: false, error: { code: 'unknown_method', message: `unknown method "${method}"` } };
      else {
        try {
          reply = { id, ok: true, result: (await h(params)) ?? null };
        } catch (e) {
          const code = e instanceof RequestError || e instanceof JobError ? e.code : 'internal';
          reply = { id, ok: false, error: { code, message: (e as Error).message ?? String(e) } };
        }
      }
    }
    reply.timestamp = formatTimestamp(this.agent.ctx.clock.now());
    return JSON.stringify(reply);
  }

  private send(id: string, text: string): void {
    this.agent.ctx.link.publish(topics.reply(this.agent.ctx.unit, id), text, 1);
  }
}
