/**
 * The dashboard (issue 11): the built `dist/web/` served at `/`. A file under the web root is sent as is; any
 * other GET outside `/api/`, `/unit_api/` and `/exports/` gets `index.html`, so the page's own (hash) routes and
 * deep links load. Unknown API paths keep the `/api` 404 error schema. The auth hook lets these GETs through
 * without credentials; the page asks for a login when an `/api` call answers 401.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LeaderContext } from '../http/context.js';
import { errorBody } from '../http/errors.js';

/** `dist/web` next to the compiled leader, or (running from source under tsx) under the repository root. */
export function webRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [join(here, '..', '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(c, 'index.html')) && existsSync(join(c, 'main.js'))) return c;
  }
  return null;
}

const API_PREFIXES = ['/api/', '/unit_api/', '/exports/'];

/** The dashboard's own requests carry this header; their 401s then leave out `WWW-Authenticate` (below). */
export const DASHBOARD_HEADER = 'x-colony-dashboard';

export const webRoutes = (_ctx: LeaderContext): FastifyPluginAsync => {
  const plugin: FastifyPluginAsync = async (app) => {
    // A 401 with `WWW-Authenticate: Basic` makes the browser hold a fetch() behind its own password prompt (a
    // headless one never answers), so the page could not show its login form. For the dashboard's requests the
    // challenge is dropped; every other client still gets it. Registered unencapsulated so it sees every route.
    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode === 401 && req.headers[DASHBOARD_HEADER] === '1') reply.removeHeader('WWW-Authenticate');
      return payload;
    });
    await serveDashboard(app);
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
};

async function serveDashboard(app: FastifyInstance): Promise<void> {
  const root = webRoot();
  if (root === null) return;
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', async (req, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    } catch {
      return reply.status(400).send(errorBody(400, 'Bad request.'));
    }
    if (API_PREFIXES.some((p) => path.startsWith(p)) || path === '/api' || path === '/unit_api') {
      return reply.status(404).send(errorBody(404, `The requested URL ${req.url} was not found on the server.`));
    }
    const rel = normalize(path).replace(/^[/\\]+/, '');
    if (rel !== '' && !rel.startsWith('..') && !rel.split(sep).includes('..')) {
      const full = join(root, rel);
      if (existsSync(full) && statSync(full).isFile()) return reply.header('Cache-Control', 'no-cache').sendFile(rel);
    }
    return reply.header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  });
}
