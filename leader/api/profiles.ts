/**
 * Experiment profiles (pioreactor-api.md §2.7): YAML files in `<dataDir>/experiment_profiles/`, listed,
 * read, uploaded (validated against the §7 schema, errors naming the line), overwritten and deleted.
 *
 * Running a profile is not done here. The hook for the profile runner (automations) is `loadProfile`:
 * it resolves a file name safely and returns the validated profile as JSON, or throws an ApiError.
 */
import type { FastifyPluginAsync } from 'fastify';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { fileIn } from './admin-util.js';
import { checkProfile, formatProfileErrors } from './profile-schema.js';

export const profileDir = (ctx: LeaderContext): string => join(ctx.dataDir, 'experiment_profiles');
const isYamlName = (n: string) => n.endsWith('.yaml') || n.endsWith('.yml');

/** The hook for the profile runner: the validated profile from `<dataDir>/experiment_profiles/<filename>`. */
export function loadProfile(ctx: LeaderContext, filename: string): { path: string; profile: Record<string, unknown> } {
  if (!isYamlName(filename)) throw new ApiError(404, `${filename} is not a .yaml or .yml file`);
  const path = fileIn(profileDir(ctx), filename);
  if (!existsSync(path)) throw new ApiError(404, `Profile ${filename} not found`);
  const r = checkProfile(readFileSync(path, 'utf8'));
  if (!r.ok || !r.value) throw new ApiError(400, `Profile ${filename} is invalid: ${formatProfileErrors(r.errors)}`);
  return { path, profile: r.value };
}

function withDefaults(p: Record<string, unknown>): Record<string, unknown> {
  return { metadata: { author: null, description: null }, plugins: [], inputs: {}, common: { jobs: {} }, pioreactors: {}, ...p };
}

export const profileRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const dir = profileDir(ctx);

  const validated = (body: string): void => {
    const r = checkProfile(body);
    if (!r.ok) throw new ApiError(400, formatProfileErrors(r.errors), 'The YAML does not match the experiment profile schema.', 'Fix the named line and retry.');
  };
  const write = (path: string, body: string): void => {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, body);
    renameSync(tmp, path);
  };

  app.get('/api/experiment_profiles', async (_req, reply) => {
    const out: Array<{ experimentProfile: unknown; file: string; fullpath: string; mtime: number }> = [];
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        if (!isYamlName(f) || f.startsWith('.')) continue;
        const full = join(dir, f);
        let text: string;
        let mtime: number;
        try {
          text = readFileSync(full, 'utf8');
          mtime = statSync(full).mtimeMs;
        } catch {
          continue;
        }
        if (text.trim() === '') {
          out.push({ experimentProfile: withDefaults({ experiment_profile_name: `temporary name: ${f.replace(/\.ya?ml$/, '')}` }), file: f, fullpath: full, mtime });
          continue;
        }
        const r = checkProfile(text);
        if (!r.ok || !r.value) continue;
        out.push({ experimentProfile: withDefaults(r.value), file: f, fullpath: full, mtime });
      }
    }
    out.sort((a, b) => b.mtime - a.mtime || a.file.localeCompare(b.file));
    return reply.header('Cache-Control', 'public, max-age=5').send(out.map(({ mtime: _m, ...rest }) => rest));
  });

  app.get<{ Params: { filename: string } }>('/api/experiment_profiles/:filename', async (req, reply) => {
    const name = req.params.filename;
    if (!isYamlName(name)) throw new ApiError(404, `${name} is not a .yaml or .yml file`);
    const path = fileIn(dir, name);
    if (!existsSync(path)) throw new ApiError(404, `Profile ${name} not found`);
    return reply.type('text/plain; charset=utf-8').send(readFileSync(path, 'utf8'));
  });

  app.post('/api/experiment_profiles', async (req) => {
    const b = z.object({ body: z.string().max(1_000_000), filename: z.string() }).safeParse(req.body);
    if (!b.success) throw new ApiError(400, 'The body must be {"body": "<yaml>", "filename": "<name>.yaml"}.');
    const path = fileIn(dir, b.data.filename, 'filename');
    if (!isYamlName(b.data.filename)) throw new ApiError(400, 'The filename must end in .yaml or .yml');
    validated(b.data.body);
    if (existsSync(path)) throw new ApiError(400, 'A profile already exists with that filename. Choose another.');
    write(path, b.data.body);
    return { status: 'success' };
  });

  app.patch<{ Params: { filename: string } }>('/api/experiment_profiles/:filename', async (req) => {
    const b = z.object({ body: z.string().max(1_000_000) }).safeParse(req.body);
    if (!b.success) throw new ApiError(400, 'The body must be {"body": "<yaml>"}.');
    const path = fileIn(dir, req.params.filename, 'filename');
    if (!isYamlName(req.params.filename)) throw new ApiError(400, 'The filename must end in .yaml or .yml');
    validated(b.data.body);
    write(path, b.data.body);
    return { status: 'success' };
  });

  app.delete<{ Params: { filename: string } }>('/api/experiment_profiles/:filename', async (req) => {
    const name = req.params.filename;
    if (!isYamlName(name)) throw new ApiError(404, `${name} is not a .yaml or .yml file`);
    const path = fileIn(dir, name);
    rmSync(path, { force: true });
    ctx.log.info({ file: name }, 'experiment profile deleted');
    return { status: 'success' };
  });
};
