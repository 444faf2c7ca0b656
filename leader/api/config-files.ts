/**
 * Config files (pioreactor-api.md §2.6 and the newer §9 routes): `config.ini` and `config_<unit>.ini` in
 * `<dataDir>/config/`. Reading `config.ini` falls back to `<dataDir>/config.ini` (where the leader daemon
 * reads it) until the first save writes `<dataDir>/config/config.ini`.
 *
 * Secrets never reach a browser: the served text (and the unit overlay JSON) carries the browser's
 * subscribe-only MQTT identity (`[mqtt] browser_username/browser_password`) as `username/password`, and
 * drops the leader's or a unit's own credentials and every `[auth]` secret. On a save, whatever the browser
 * sent for those keys is ignored and the stored values are kept, so a round trip through the editor cannot
 * replace the leader's identity by the browser's. Edits are validated (validateConfigText, errors naming
 * `section.key`) before anything is written; each save adds a row (secrets stripped) to
 * `config_files_histories`.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, IniSyntaxError, overlayIni, parseIni, validateConfig, validateConfigText, type IniData } from '../../shared/config/index.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { withFullSync } from '../db/open.js';
import type { LeaderContext } from '../http/context.js';
import { ApiError } from '../http/errors.js';
import { BROADCAST, clusterList, fileIn, unitParam } from './admin-util.js';

/** Keys the API never serves and never takes from a request. */
const SECRET_KEYS: Record<string, string[]> = {
  mqtt: ['username', 'password', 'browser_username', 'browser_password'],
  auth: ['api_keys', 'users', 'session_secret'],
};
const CONFIG_NAME = /^config(?:_([A-Za-z0-9][A-Za-z0-9_-]{0,62}))?\.ini$/;

export const configDir = (ctx: LeaderContext): string => join(ctx.dataDir, 'config');

const isSecret = (section: string | null, key: string): boolean => section !== null && (SECRET_KEYS[section]?.includes(key) ?? false);

/**
 * Rewrite INI text line by line (comments and layout kept): drop every secret key (with its continuation
 * lines), and insert `insert[section]` right after that section's header (or in a new section at the end).
 */
export function rewriteSecrets(text: string, insert: IniData = {}): string {
  const out: string[] = [];
  const pending = new Map(Object.entries(insert).filter(([, kv]) => Object.keys(kv).length > 0));
  let section: string | null = null;
  let skipping = false;
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const trimmed = raw.trim();
    if (skipping && trimmed !== '' && /^\s/.test(raw) && !trimmed.startsWith('[')) continue;
    skipping = false;
    const header = /^\[([^\]]+)\]\s*$/.exec(trimmed);
    if (header) {
      section = header[1].trim();
      out.push(raw);
      const add = pending.get(section);
      if (add) {
        for (const [k, v] of Object.entries(add)) out.push(`${k}=${v}`);
        pending.delete(section);
      }
      continue;
    }
    const kv = /^([^=:#;\s][^=:]*?)\s*[=:]/.exec(trimmed);
    if (kv && !/^\s/.test(raw) && isSecret(section, kv[1].toLowerCase())) {
      skipping = true;
      continue;
    }
    out.push(raw);
  }
  for (const [s, kv] of pending) {
    if (out.length && out[out.length - 1] !== '') out.push('');
    out.push(`[${s}]`, ...Object.entries(kv).map(([k, v]) => `${k}=${v}`));
  }
  return out.join('\n');
}

/** The stored secret values of a file: `{section: {key: value}}`. */
function secretsOf(text: string): IniData {
  const out: IniData = {};
  let data: IniData;
  try {
    data = parseIni(text).data;
  } catch {
    return out;
  }
  for (const [s, keys] of Object.entries(SECRET_KEYS)) {
    for (const k of keys) {
      const v = data[s]?.[k];
      if (v !== undefined) (out[s] ??= {})[k] = v;
    }
  }
  return out;
}

function validationError(e: unknown): never {
  if (e instanceof ConfigError || e instanceof IniSyntaxError) throw new ApiError(400, e.message, e.message, 'Fix the named key and save again.');
  throw e;
}

export const configRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const dir = configDir(ctx);

  const checkName = (name: string): string => {
    fileIn(dir, name);
    if (!name.endsWith('.ini')) throw new ApiError(400, 'Must be a .ini file');
    if (!CONFIG_NAME.test(name)) throw new ApiError(400, `Invalid config file name: ${JSON.stringify(name)} (config.ini or config_<unit>.ini)`);
    return name;
  };
  const pathOf = (name: string): string | null => {
    const p = fileIn(dir, name);
    if (existsSync(p)) return p;
    const legacy = join(ctx.dataDir, 'config.ini');
    if (name === 'config.ini' && existsSync(legacy)) return legacy;
    return null;
  };
  const readStored = (name: string): string | null => {
    const p = pathOf(name);
    return p ? readFileSync(p, 'utf8') : null;
  };

  /** The browser's identity: from the stored config.ini, else the leader's loaded config. */
  const browserIdentity = (): Record<string, string> => {
    const shared = secretsOf(readStored('config.ini') ?? '').mqtt ?? {};
    const u = shared.browser_username ?? ctx.config.mqtt.browser_username;
    const p = shared.browser_password ?? ctx.config.mqtt.browser_password;
    const out: Record<string, string> = {};
    if (u !== undefined) out.username = u;
    if (p !== undefined) out.password = p;
    return out;
  };

  /** What a browser sees of a file. */
  const browserText = (name: string, text: string): string =>
    rewriteSecrets(text, name === 'config.ini' ? { mqtt: browserIdentity() } : {});

  const sendText = (reply: FastifyReply, text: string) =>
    reply.header('Cache-Control', 'public, max-age=10').type('text/plain; charset=utf-8').send(text);

  const getFile = (name: string, reply: FastifyReply) => {
    checkName(name);
    const text = readStored(name);
    if (text === null) throw new ApiError(400, `${name} does not exist`, `${name} was not found in ${dir}`, 'Check the file name.');
    return sendText(reply, browserText(name, text));
  };

  const saveFile = (name: string, body: unknown) => {
    checkName(name);
    const b = z.object({ code: z.string().max(1_000_000) }).safeParse(body);
    if (!b.success) throw new ApiError(400, 'The body must be {"code": "<ini text>"}.');
    const code = b.data.code.replace(/[\u2013\u2014]/g, '-');
    // Validate what the user sent first, so error lines match their editor.
    try {
      validateConfigText(code, name);
    } catch (e) {
      validationError(e);
    }
    const stored = readStored(name);
    const merged = rewriteSecrets(code, secretsOf(stored ?? ''));
    try {
      const parsed = parseIni(merged, name);
      if (name === 'config.ini') validateConfig(parsed);
      else {
        const shared = readStored('config.ini');
        validateConfig(overlayIni(parseIni(shared ?? '', 'config.ini'), parsed));
      }
    } catch (e) {
      validationError(e);
    }
    mkdirSync(dir, { recursive: true });
    const target = fileIn(dir, name);
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, merged.endsWith('\n') ? merged : `${merged}\n`, { mode: 0o600 });
    renameSync(tmp, target);
    withFullSync(ctx.db, () =>
      ctx.db
        .prepare('INSERT INTO config_files_histories (timestamp, filename, data) VALUES (?, ?, ?)')
        .run(formatTimestamp(ctx.clock.now()), name, rewriteSecrets(merged)),
    );
    ctx.log.info({ file: name }, 'config file saved');
    return { status: 'success' };
  };

  const history = (name: string, reply: FastifyReply) => {
    checkName(name);
    const rows = ctx.db
      .prepare('SELECT filename, timestamp, data FROM config_files_histories WHERE filename = ? ORDER BY timestamp DESC, rowid DESC')
      .all(name);
    return reply.header('Cache-Control', 'public, max-age=15').send(rows);
  };

  const unitOverlay = (unit: string): Record<string, Record<string, string>> => {
    const shared = readStored('config.ini') ?? '';
    const own = readStored(`config_${unit}.ini`) ?? '';
    let data: IniData;
    try {
      data = overlayIni(parseIni(shared, 'config.ini'), parseIni(own, `config_${unit}.ini`)).data;
    } catch (e) {
      validationError(e);
    }
    const out: Record<string, Record<string, string>> = {};
    for (const [s, kv] of Object.entries(data)) {
      if (s === 'DEFAULT') continue;
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(kv)) if (!isSecret(s, k)) clean[k] = v;
      out[s] = clean;
    }
    out.mqtt = { ...(out.mqtt ?? {}), ...browserIdentity() };
    return out;
  };

  app.get('/api/config/files', async () => {
    const units = new Set(clusterList(ctx));
    const names = new Set<string>(['config.ini']);
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        const m = CONFIG_NAME.exec(f);
        if (m && m[1] && units.has(m[1])) names.add(f);
      }
    }
    return [...names].sort();
  });
  app.get<{ Params: { name: string } }>('/api/config/files/:name', async (req, reply) => getFile(req.params.name, reply));
  app.patch<{ Params: { name: string } }>('/api/config/files/:name', async (req) => saveFile(req.params.name, req.body));
  app.get<{ Params: { name: string } }>('/api/config/files/:name/history', async (req, reply) => history(req.params.name, reply));

  app.get<{ Params: { u: string } }>('/api/config/units/:u', async (req) => {
    const u = unitParam(req.params.u);
    const units = u === BROADCAST ? clusterList(ctx) : [u];
    const out: Record<string, unknown> = {};
    for (const unit of units) out[unit] = unitOverlay(unit);
    return out;
  });

  // Newer UI (pioreactor-api.md §9).
  app.get('/api/config/shared', async (_req, reply) => getFile('config.ini', reply));
  app.patch('/api/config/shared', async (req) => saveFile('config.ini', req.body));
  app.get('/api/config/shared/history', async (_req, reply) => history('config.ini', reply));
  app.get<{ Params: { u: string } }>('/api/config/units/:u/specific', async (req, reply) => {
    const u = unitParam(req.params.u);
    if (u === BROADCAST) throw new ApiError(400, 'A unit name is required.');
    const name = `config_${u}.ini`;
    checkName(name);
    return sendText(reply, browserText(name, readStored(name) ?? ''));
  });
  app.patch<{ Params: { u: string } }>('/api/config/units/:u/specific', async (req) => {
    const u = unitParam(req.params.u);
    if (u === BROADCAST) throw new ApiError(400, 'A unit name is required.');
    return saveFile(`config_${u}.ini`, req.body);
  });
  app.get<{ Params: { u: string } }>('/api/config/units/:u/specific/history', async (req, reply) => {
    const u = unitParam(req.params.u);
    if (u === BROADCAST) throw new ApiError(400, 'A unit name is required.');
    return history(`config_${u}.ini`, reply);
  });
};
