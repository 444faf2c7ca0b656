/**
 * `pumps.dose` (docs/protocol.md §3): run one pump job and answer when the pump has FINISHED, with the volume
 * moved (the sum of the dosing events it published, corrections included). Leader-hosted dosing automations
 * wait for this reply before their next step; `jobs.run` answers as soon as the pump job is ready.
 */
import { z } from 'zod';
import { formatZodError } from '../../shared/payloads.js';
import type { Agent } from '../agent.js';
import { PumpJob, PUMPS, type PumpJobName } from '../jobs/pumps.js';
import { RequestError } from './handler.js';

const PUMP_BY_FN: Record<string, PumpJobName> = { media: 'add_media', alt_media: 'add_alt_media', waste: 'remove_waste' };

const Params = z
  .strictObject({
    pump: z.enum(['media', 'alt_media', 'waste', ...Object.keys(PUMPS)] as [string, ...string[]]),
    ml: z.number().finite().min(0).optional(),
    duration: z.number().finite().min(0).optional(),
    source_of_event: z.string().min(1).max(200).optional(),
    experiment: z.string().min(1).max(200).optional(),
  })
  .refine((p) => (p.ml === undefined) !== (p.duration === undefined), 'give exactly one of ml or duration');

export function pumpsDose(agent: Agent) {
  return async (params: Record<string, unknown>): Promise<{ pump: string; moved_ml: number; experiment: string }> => {
    const r = Params.safeParse(params ?? {});
    if (!r.success) throw new RequestError('bad_request', formatZodError(r.error));
    const p = r.data;
    const name: PumpJobName = PUMP_BY_FN[p.pump] ?? (p.pump as PumpJobName);
    const options: Record<string, unknown> = { source_of_event: p.source_of_event ?? 'user' };
    if (p.ml !== undefined) options.ml = p.ml;
    else options.duration = p.duration;
    const experiment = p.experiment ?? agent.experiment;
    const job = await agent.manager.run(name, { experiment, options, source: p.source_of_event ?? 'user' });
    const moved = job instanceof PumpJob && job.result ? await job.result : 0;
    await job.done;
    return { pump: name, moved_ml: moved, experiment };
  };
}
