/**
 * Dashboard login (ARCHITECTURE.md §5; design in leader/auth/http-auth.ts):
 * - `POST /api/auth/login` `{"username","password"}` -> 200 `{"status":"success","user"}` and a
 *   `colony_session` cookie (HttpOnly, SameSite=Lax, Path=/, 12 h; Secure when the request came over TLS);
 *   401 with the error schema on a wrong name or password.
 * - `POST /api/auth/logout` -> 200, the cookie cleared and its token revoked.
 * - `GET /api/auth/me` -> 200 `{"user","method"}` (loopback, session, bearer or basic).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { HttpAuth, parseCookies, SESSION_COOKIE, sendUnauthorized } from '../auth/http-auth.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';

export const authRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const auth = (): HttpAuth => (app.colonyHttpAuth ??= new HttpAuth(ctx));

  app.post('/api/auth/login', async (req, reply) => {
    const b = z.object({ username: z.string().min(1).max(200), password: z.string().max(1000) }).safeParse(req.body);
    if (!b.success) throw new ApiError(400, 'The body must be {"username": "...", "password": "..."}.');
    const addr = req.socket.remoteAddress ?? '';
    const a = auth();
    if (a.throttled(addr)) return sendUnauthorized(reply, 'Too many failed authentication attempts; wait and retry.', 429);
    if (!(await a.checkUser(b.data.username, b.data.password))) {
      a.failed(addr);
      return sendUnauthorized(reply, 'Invalid username or password.');
    }
    const token = a.issueSession(b.data.username);
    const secure = req.protocol === 'https' ? '; Secure' : '';
    ctx.log.info({ user: b.data.username }, 'http login');
    return reply
      .header('Set-Cookie', `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${12 * 3600}${secure}`)
      .send({ status: 'success', user: b.data.username });
  });

  app.post('/api/auth/logout', async (req, reply) => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (token) auth().revoke(token);
    return reply.header('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`).send({ status: 'success' });
  });

  app.get('/api/auth/me', async (req) => {
    const who = req.colonyAuth ?? { user: 'loopback', method: 'loopback' };
    return { user: who.user, method: who.method };
  });
};
