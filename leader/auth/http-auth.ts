/**
 * HTTP authentication for the leader (ARCHITECTURE.md §5), as a fastify `onRequest` hook.
 *
 * - Requests from loopback (127.0.0.0/8, ::1) pass, unless `[auth] require_auth_on_loopback = 1`. The
 *   address is the socket's (fastify's trustProxy is off), so a reverse proxy on the same host must do its
 *   own authentication or the option must be set.
 * - Otherwise one of:
 *   - a session cookie `colony_session` from `POST /api/auth/login` (HMAC-SHA256 signed `{u, exp}`, 12 h;
 *     signed with `[auth] session_secret`, or a random per-process secret when unset, so sessions then end
 *     when the leader restarts; `POST /api/auth/logout` revokes it);
 *   - `Authorization: Bearer <api key>`;
 *   - `Authorization: Basic` for a configured user (so any browser UI works behind the browser's prompt).
 * - Users: `[auth] users = alice:scrypt$..., bob:scrypt$...` and/or `<dataDir>/http_auth.json`
 *   `{"users": {"alice": "scrypt$..."}, "api_keys": ["sha256:<hex>"]}` (re-read when it changes).
 *   API keys: `[auth] api_keys = sha256:<hex of the key>, ...` (a bare entry is the key itself).
 *   Make hashes with `hashPassword` / `newApiKey` in ./passwords.ts. There are no default users.
 * - Open without credentials: `POST /api/auth/login`, and GET/HEAD of static files (anything outside
 *   `/api/`, `/unit_api/` and `/exports/`), so the dashboard can show its login page.
 * - A refusal is 401 with the `/api` error schema and `WWW-Authenticate: Basic realm="Colony"`; more than
 *   20 failed attempts from one address in 5 minutes answer 429 for the rest of that window.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LeaderContext } from '../http/context.js';
import { errorBody } from '../http/errors.js';
import { apiKeyMatches, verifyPassword } from './passwords.js';

export const SESSION_COOKIE = 'colony_session';
export const HTTP_AUTH_FILE = 'http_auth.json';
const SESSION_TTL_MS = 12 * 3600 * 1000;
const FAIL_WINDOW_MS = 5 * 60 * 1000;
const MAX_FAILS = 20;

export type AuthMethod = 'loopback' | 'session' | 'bearer' | 'basic';
export interface AuthIdentity {
  user: string;
  method: AuthMethod;
}

declare module 'fastify' {
  interface FastifyRequest {
    colonyAuth?: AuthIdentity;
  }
}

export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

function splitList(s: string): string[] {
  return s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

export class HttpAuth {
  private readonly secret: Buffer;
  private fileCache: { mtimeMs: number; users: Map<string, string>; keys: string[] } | null = null;
  /** Basic credentials already verified (an HMAC of user, password and hash) -> expiry. */
  private readonly basicOk = new Map<string, number>();
  private readonly revoked = new Map<string, number>();
  private readonly fails = new Map<string, { n: number; since: number }>();

  constructor(private readonly ctx: LeaderContext) {
    const s = ctx.config.auth.session_secret;
    this.secret = s && s.length >= 16 ? Buffer.from(s, 'utf8') : randomBytes(32);
  }

  get requireOnLoopback(): boolean {
    return this.ctx.config.auth.require_auth_on_loopback;
  }

  private fileCreds(): { users: Map<string, string>; keys: string[] } {
    const path = join(this.ctx.dataDir, HTTP_AUTH_FILE);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      this.fileCache = null;
      return { users: new Map(), keys: [] };
    }
    if (this.fileCache && this.fileCache.mtimeMs === mtimeMs) return this.fileCache;
    const users = new Map<string, string>();
    const keys: string[] = [];
    try {
      const j = JSON.parse(readFileSync(path, 'utf8')) as { users?: unknown; api_keys?: unknown };
      if (j.users && typeof j.users === 'object') for (const [u, h] of Object.entries(j.users as Record<string, unknown>)) if (typeof h === 'string') users.set(u, h);
      if (Array.isArray(j.api_keys)) for (const k of j.api_keys) if (typeof k === 'string' && k) keys.push(k);
    } catch (e) {
      this.ctx.log.warn({ file: path, err: (e as Error).message }, 'http auth file unreadable; ignoring it');
    }
    this.fileCache = { mtimeMs, users, keys };
    return this.fileCache;
  }

  /** Configured users: name -> scrypt hash (the file wins over config for the same name). */
  users(): Map<string, string> {
    const out = new Map<string, string>();
    for (const entry of splitList(this.ctx.config.auth.users)) {
      const i = entry.indexOf(':');
      if (i > 0) out.set(entry.slice(0, i).trim(), entry.slice(i + 1).trim());
    }
    for (const [u, h] of this.fileCreds().users) out.set(u, h);
    return out;
  }

  apiKeys(): string[] {
    return [...splitList(this.ctx.config.auth.api_keys), ...this.fileCreds().keys];
  }

  async checkUser(user: string, password: string): Promise<boolean> {
    const hash = this.users().get(user);
    if (!hash) return false;
    const cacheKey = createHmac('sha256', this.secret).update(`${user}\0${password}\0${hash}`).digest('base64');
    const now = Date.now();
    const hit = this.basicOk.get(cacheKey);
    if (hit !== undefined && hit > now) return true;
    const ok = await verifyPassword(password, hash);
    if (ok) {
      if (this.basicOk.size > 1000) this.basicOk.clear();
      this.basicOk.set(cacheKey, now + 5 * 60 * 1000);
    }
    return ok;
  }

  checkKey(key: string): string | null {
    return this.apiKeys().some((e) => apiKeyMatches(key, e)) ? 'api-key' : null;
  }

  issueSession(user: string): string {
    const payload = Buffer.from(JSON.stringify({ u: user, exp: Date.now() + SESSION_TTL_MS, n: randomBytes(8).toString('base64url') })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  checkSession(token: string): string | null {
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1));
    const want = Buffer.from(this.sign(payload));
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return null;
    if (this.revoked.has(token)) return null;
    try {
      const j = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; exp?: unknown };
      if (typeof j.u !== 'string' || typeof j.exp !== 'number' || j.exp < Date.now()) return null;
      if (!this.users().has(j.u)) return null;
      return j.u;
    } catch {
      return null;
    }
  }

  revoke(token: string): void {
    const now = Date.now();
    for (const [t, exp] of this.revoked) if (exp < now) this.revoked.delete(t);
    this.revoked.set(token, now + SESSION_TTL_MS);
  }

  /** Too many failures from this address? */
  throttled(addr: string): boolean {
    const f = this.fails.get(addr);
    if (!f) return false;
    if (Date.now() - f.since > FAIL_WINDOW_MS) {
      this.fails.delete(addr);
      return false;
    }
    return f.n >= MAX_FAILS;
  }

  failed(addr: string): void {
    const now = Date.now();
    const f = this.fails.get(addr);
    if (!f || now - f.since > FAIL_WINDOW_MS) {
      if (this.fails.size > 10_000) this.fails.clear();
      this.fails.set(addr, { n: 1, since: now });
    } else f.n++;
  }

  /** Who is calling, or null. */
  async identify(req: FastifyRequest): Promise<AuthIdentity | null> {
    const h = req.headers.authorization;
    if (typeof h === 'string') {
      const m = /^(\w+)\s+(.+)$/.exec(h.trim());
      if (m && m[1].toLowerCase() === 'bearer') return this.checkKey(m[2].trim()) ? { user: 'api-key', method: 'bearer' } : null;
      if (m && m[1].toLowerCase() === 'basic') {
        const dec = Buffer.from(m[2].trim(), 'base64').toString('utf8');
        const i = dec.indexOf(':');
        if (i <= 0) return null;
        const user = dec.slice(0, i);
        return (await this.checkUser(user, dec.slice(i + 1))) ? { user, method: 'basic' } : null;
      }
      return null;
    }
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (token) {
      const user = this.checkSession(token);
      if (user) return { user, method: 'session' };
    }
    return null;
  }
}

/** Paths that never need credentials. */
function isOpen(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0] ?? '';
  if (path === '/api/auth/login' && req.method === 'POST') return true;
  const protectedPrefix = path.startsWith('/api/') || path === '/api' || path.startsWith('/unit_api/') || path.startsWith('/exports/');
  return !protectedPrefix && (req.method === 'GET' || req.method === 'HEAD');
}

export function sendUnauthorized(reply: FastifyReply, message: string, status = 401): FastifyReply {
  if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="Colony", charset="UTF-8"');
  return reply.status(status).send(errorBody(status, message));
}

/** Install the hook; returns the HttpAuth instance (the auth routes use it). */
export function installHttpAuth(app: FastifyInstance, ctx: LeaderContext): HttpAuth {
  const auth = new HttpAuth(ctx);
  app.decorate('colonyHttpAuth', auth);
  app.addHook('onRequest', async (req, reply) => {
    const addr = req.socket.remoteAddress ?? req.ip;
    const local = isLoopback(addr);
    if (local && !auth.requireOnLoopback) {
      req.colonyAuth = (await auth.identify(req).catch(() => null)) ?? { user: 'loopback', method: 'loopback' };
      return;
    }
    if (isOpen(req)) return;
    if (auth.throttled(addr ?? '')) return sendUnauthorized(reply, 'Too many failed authentication attempts; wait and retry.', 429);
    const who = await auth.identify(req);
    if (who) {
      req.colonyAuth = who;
      return;
    }
    if (req.headers.authorization) auth.failed(addr ?? '');
    return sendUnauthorized(
      reply,
      req.headers.authorization || req.headers.cookie?.includes(SESSION_COOKIE) ? 'Invalid credentials.' : 'Authentication required.',
    );
  });
  return auth;
}

declare module 'fastify' {
  interface FastifyInstance {
    colonyHttpAuth?: HttpAuth;
  }
}
