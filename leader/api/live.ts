/**
 * `GET /api/live` (WebSocket): broker messages to the browser, read-only (docs/protocol.md "Live stream").
 *
 * The upgrade request goes through the same `onRequest` authentication hook as every `/api` route (loopback,
 * session cookie, Bearer, Basic; a 401 refuses the upgrade), and a browser's `Origin` must name this host, so a
 * page from elsewhere cannot read the stream through a loopback or cookie login (WebSockets have no CORS).
 *
 * Client -> leader: `{"subscribe": ["pioreactor/u1/exp1/+/+", ...]}` and `{"unsubscribe": [...]}`; MQTT filters
 * under `pioreactor/` only, at most MAX_FILTERS per connection. Leader -> client: `{"topic", "payload"}` for each
 * matching message; on subscribe first the stored retained values (`"retained": true`), then
 * `{"subscribed": [...], "retained": n}`; `{"unsubscribed": [...]}`; `{"error": "..."}` for a bad message (the
 * connection stays open); `{"dropped": n}` before the next message after messages were dropped because the
 * client's socket buffer was over BUFFER_LIMIT (a slow client loses messages instead of growing our memory).
 * The browser never publishes.
 *
 * One fan-out for all browsers: the leader holds one broker subscription per distinct filter (filters another one
 * covers are not subscribed again) and matches each message against every client's filters. With the embedded
 * broker that is an in-process aedes subscription (ingest's `aedesSource`), and the retained values come from
 * aedes' store. With an external broker it is one extra MQTT connection (MQTT 5, retain-as-published), opened
 * with the first browser and closed with the last, whose retained messages fill a cache the snapshots are read
 * from.
 */
import websocket from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import type { WebSocket } from 'ws';
import type { LeaderContext } from '../http/context.js';
import { errorBody } from '../http/errors.js';
import { aedesSource, type IngestSource } from '../ingest/source.js';

export const LIVE_PATH = '/api/live';
/** Filters per connection. */
export const MAX_FILTERS = 64;
export const MAX_FILTER_LENGTH = 256;
const MAX_LEVELS = 12;
/** Browser connections at once. */
export const MAX_CLIENTS = 100;
/** Over this many bytes waiting in a client's socket, its messages are dropped (and counted). */
export const BUFFER_LIMIT = 1024 * 1024;
/** Messages held for a client while its retained snapshot is read (over it, the oldest go). */
const PENDING_LIMIT = 2000;
const MAX_INCOMING_BYTES = 64 * 1024;
const HEARTBEAT_MS = 30_000;
/** On leader stop, clients get this long to answer the close handshake before their sockets are cut. */
const CLOSE_GRACE_MS = 500;

// ---- MQTT filters ---------------------------------------------------------------------------------------------

/** Why `f` is not an acceptable filter, or null. */
export function filterError(f: unknown): string | null {
  if (typeof f !== 'string') return 'a filter must be a string';
  if (f.length === 0 || f.length > MAX_FILTER_LENGTH) return `a filter must be 1-${MAX_FILTER_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(f)) return 'a filter may not contain control characters';
  const levels = f.split('/');
  if (levels[0] !== 'pioreactor' || levels.length < 2) return 'only pioreactor/... topics are served';
  if (levels.length > MAX_LEVELS) return `a filter may have at most ${MAX_LEVELS} levels`;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l === '') return 'a filter may not have empty levels';
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '"#" must be a whole level, and the last';
    if (l.includes('+') && l !== '+') return '"+" must be a whole level';
  }
  return null;
}

/** MQTT topic matching (the filter is valid; topics under `pioreactor/` never start with `$`). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Does every topic that matches `b` match `a`? */
export function filterCovers(a: string, b: string): boolean {
  if (a === b) return true;
  const A = a.split('/');
  const B = b.split('/');
  for (let i = 0; i < A.length; i++) {
    if (A[i] === '#') return true;
    if (i >= B.length || B[i] === '#') return false;
    if (A[i] === '+') continue;
    if (B[i] === '+' || A[i] !== B[i]) return false;
  }
  return A.length === B.length;
}

/** The filters none of the others covers (what the broker must be subscribed to). */
export function coverOf(filters: Iterable<string>): Set<string> {
  const all = [...new Set(filters)];
  return new Set(all.filter((f) => !all.some((g) => g !== f && filterCovers(g, f))));
}

// ---- where messages come from ---------------------------------------------------------------------------------

type Deliver = (topic: string, payload: Buffer) => void;

interface LiveSource {
  add(filter: string): Promise<void>;
  remove(filter: string): Promise<void>;
  /** Stored retained messages matching any of `filters` (each topic once). */
  retained(filters: string[]): Promise<Array<{ topic: string; payload: Buffer }>>;
  close(): Promise<void>;
}

interface AedesLike {
  persistence: { createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer | string }> };
}

/** The embedded broker: one in-process subscription per filter (ingest's source), retained values from its store. */
function embeddedSource(aedes: AedesLike, deliver: Deliver): LiveSource {
  const subs = new Map<string, IngestSource>();
  // One message matching two of our filters is delivered to both subscriptions with the same payload buffer.
  let last: Buffer | null = null;
  const onMessage = (topic: string, payload: Buffer) => {
    if (payload === last && payload.length > 0) return;
    last = payload;
    deliver(topic, payload);
  };
  return {
    async add(filter) {
      const s = aedesSource(aedes as never);
      subs.set(filter, s);
      await s.start([filter], onMessage);
    },
    async remove(filter) {
      const s = subs.get(filter);
      subs.delete(filter);
      await s?.stop();
    },
    async retained(filters) {
      const out = new Map<string, Buffer>();
      if (filters.length === 0) return [];
      for await (const p of aedes.persistence.createRetainedStreamCombi(filters)) {
        if (!out.has(p.topic)) out.set(p.topic, Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload));
      }
      return [...out].map(([topic, payload]) => ({ topic, payload }));
    },
    async close() {
      for (const s of subs.values()) await s.stop();
      subs.clear();
    },
  };
}

/**
 * An external broker: one MQTT 5 connection with retain-as-published subscriptions, so a message's retain flag
 * says whether the broker stores it; those fill the cache the snapshots come from (an empty one clears it).
 */
const BARRIER = 'pioreactor/$colony/live-barrier';

function externalSource(ctx: LeaderContext, deliver: Deliver): LiveSource {
  const username = process.env.COLONY_MQTT_USERNAME ?? ctx.config.mqtt.username;
  const password = process.env.COLONY_MQTT_PASSWORD ?? ctx.config.mqtt.password;
  const client: MqttClient = mqtt.connect(ctx.broker.url, {
    ...(username ? { username, password } : {}),
    clientId: `colony-live-${ctx.unitName}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    clean: true,
    protocolVersion: 5,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  client.on('error', (e) => ctx.log.warn({ err: e.message }, 'live: mqtt error'));
  const filters = new Set<string>();
  const cache = new Map<string, Buffer>();
  // Overlapping subscriptions may bring the same message twice.
  let last: { topic: string; payload: Buffer; at: number } | null = null;
  client.on('message', (topic, payload, packet) => {
    if (packet.retain) {
      if (payload.length === 0) cache.delete(topic);
      else cache.set(topic, payload);
    }
    const now = Date.now();
    if (last && last.topic === topic && now - last.at < 200 && last.payload.equals(payload)) return;
    last = { topic, payload, at: now };
    deliver(topic, payload);
  });
  // The first subscriptions wait a little for the connection, so their retained values make the first snapshot.
  const connected = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    client.once('connect', () => (clearTimeout(t), resolve()));
  });
  // mqtt.js subscribes again after a reconnect; while offline, a change is queued rather than awaited.
  const settle = async (p: Promise<unknown>) => {
    if (client.connected) await p.catch(() => undefined);
    else p.catch(() => undefined);
  };
  return {
    async add(filter) {
      filters.add(filter);
      await connected;
      await settle(client.subscribeAsync(filter, { qos: 0, rap: true }));
      // A barrier: brokers like mosquitto send a subscription's retained messages before they handle our next
      // packet, so once this answers they are in the cache (any that come later are delivered as they come).
      if (client.connected) await settle(client.unsubscribeAsync(BARRIER));
    },
    async remove(filter) {
      filters.delete(filter);
      for (const t of cache.keys()) if (![...filters].some((f) => topicMatches(f, t))) cache.delete(t);
      await settle(client.unsubscribeAsync(filter));
    },
    async retained(fs) {
      return [...cache].filter(([t]) => fs.some((f) => topicMatches(f, t))).map(([topic, payload]) => ({ topic, payload }));
    },
    async close() {
      await client.endAsync(true).catch(() => undefined);
    },
  };
}

// ---- the hub ---------------------------------------------------------------------------------------------------

export interface LiveStats {
  clients: number;
  /** Broker subscriptions held for them (the cover of all their filters). */
  subscriptions: number;
  messages: number;
  dropped: number;
}

class LiveClient {
  readonly filters = new Set<string>();
  /** Messages held while a retained snapshot is being sent (null when not). */
  pending: Array<{ topic: string; payload: string }> | null = null;
  /** Dropped since the last `{"dropped"}` notice. */
  unreported = 0;
  alive = true;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    private readonly hub: LiveHub,
  ) {}

  matches(topic: string): boolean {
    for (const f of this.filters) if (topicMatches(f, topic)) return true;
    return false;
  }

  /** A control message (small, never dropped). */
  control(body: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(body));
  }

  message(m: { topic: string; payload: string; retained?: true }): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > BUFFER_LIMIT) {
      this.unreported++;
      this.hub.stats.dropped++;
      return;
    }
    if (this.unreported) {
      this.ws.send(JSON.stringify({ dropped: this.unreported }));
      this.unreported = 0;
    }
    this.ws.send(JSON.stringify(m));
  }

  deliver(topic: string, payload: string): void {
    if (this.pending) {
      if (this.pending.length >= PENDING_LIMIT) {
        this.pending.shift();
        this.unreported++;
        this.hub.stats.dropped++;
      }
      this.pending.push({ topic, payload });
    } else this.message({ topic, payload });
  }

  /** Handle one text frame from the browser (one at a time, in order). */
  receive(data: string): void {
    this.chain = this.chain.then(() => this.handle(data)).catch((e: unknown) => this.control({ error: (e as Error).message }));
  }

  private async handle(data: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return this.control({ error: 'not JSON: send {"subscribe": ["pioreactor/..."]}' });
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return this.control({ error: 'send an object: {"subscribe": [...]} or {"unsubscribe": [...]}' });
    const o = msg as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length !== 1 || (keys[0] !== 'subscribe' && keys[0] !== 'unsubscribe')) {
      return this.control({ error: 'unknown message: the stream is read-only; send {"subscribe": [...]} or {"unsubscribe": [...]}' });
    }
    const list = o[keys[0]];
    if (!Array.isArray(list) || list.length === 0) return this.control({ error: `${keys[0]} takes a non-empty list of MQTT filters` });
    if (list.length > MAX_FILTERS) return this.control({ error: `at most ${MAX_FILTERS} filters` });
    for (const f of list) {
      const why = filterError(f);
      if (why) return this.control({ error: `${JSON.stringify(f)}: ${why}` });
    }
    const filters = [...new Set(list as string[])];
    if (keys[0] === 'unsubscribe') {
      for (const f of filters) this.filters.delete(f);
      await this.hub.sync();
      return this.control({ unsubscribed: filters });
    }
    const fresh = filters.filter((f) => !this.filters.has(f));
    if (this.filters.size + fresh.length > MAX_FILTERS) return this.control({ error: `at most ${MAX_FILTERS} filters per connection (${this.filters.size} held)` });
    // Live messages wait until the snapshot is out, so a value never goes back to an older one.
    this.pending = [];
    const sent = new Map<string, string>();
    try {
      for (const f of fresh) this.filters.add(f);
      await this.hub.sync();
      for (const r of await this.hub.retained(filters)) {
        const payload = r.payload.toString('utf8');
        this.message({ topic: r.topic, payload, retained: true });
        sent.set(r.topic, payload);
      }
    } finally {
      const held = this.pending ?? [];
      this.pending = null;
      // A value that came in while the snapshot was read, and is in it, is not sent twice.
      for (const m of held) if (sent.get(m.topic) !== m.payload) this.message(m);
    }
    const n = sent.size;
    this.control({ subscribed: filters, retained: n });
  }
}

class LiveHub {
  readonly clients = new Set<LiveClient>();
  readonly stats = { messages: 0, dropped: 0 };
  private source: LiveSource | null = null;
  private subscribed = new Set<string>();
  private syncing: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly ctx: LeaderContext) {}

  snapshot(): LiveStats {
    return { clients: this.clients.size, subscriptions: this.subscribed.size, ...this.stats };
  }

  add(ws: WebSocket): LiveClient {
    const c = new LiveClient(ws, this);
    this.clients.add(c);
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    return c;
  }

  remove(c: LiveClient): void {
    if (!this.clients.delete(c)) return;
    c.filters.clear();
    void this.sync();
  }

  private beat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private dispatch = (topic: string, payload: Buffer): void => {
    this.stats.messages++;
    let text: string | null = null;
    for (const c of this.clients) {
      if (!c.matches(topic)) continue;
      text ??= payload.toString('utf8');
      c.deliver(topic, text);
    }
  };

  private makeSource(): LiveSource {
    const aedes = (this.ctx.broker as { aedes?: AedesLike }).aedes;
    return aedes?.persistence ? embeddedSource(aedes, this.dispatch) : externalSource(this.ctx, this.dispatch);
  }

  /** Bring the broker subscriptions in line with the clients' filters (one change at a time). */
  sync(): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      const want = coverOf([...this.clients].flatMap((c) => [...c.filters]));
      if (want.size && !this.source) this.source = this.makeSource();
      const src = this.source;
      if (!src) return;
      // New ones first, so no message falls between a narrow filter going and the wider one coming.
      for (const f of want) {
        if (this.subscribed.has(f)) continue;
        await src.add(f);
        this.subscribed.add(f);
      }
      for (const f of [...this.subscribed]) {
        if (want.has(f)) continue;
        this.subscribed.delete(f);
        await src.remove(f);
      }
      if (want.size === 0) {
        this.source = null;
        await src.close();
      }
    };
    this.syncing = this.syncing.then(run, run).catch((e: unknown) => this.ctx.log.warn({ err: (e as Error).message }, 'live: subscription change failed'));
    return this.syncing;
  }

  retained(filters: string[]): Promise<Array<{ topic: string; payload: Buffer }>> {
    return this.source ? this.source.retained(filters) : Promise.resolve([]);
  }

  /** Leader stop: ask every client to close, cut the ones that do not answer, drop the subscriptions. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const open = [...this.clients].map((c) => c.ws);
    for (const ws of open) ws.close(1001, 'leader stopping');
    const closedAll = Promise.all(open.map((ws) => (ws.readyState === ws.CLOSED ? null : new Promise((r) => ws.once('close', r)))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closedAll, new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    for (const ws of open) if (ws.readyState !== ws.CLOSED) ws.terminate();
    this.clients.clear();
    await this.syncing;
    this.closed = true;
    const src = this.source;
    this.source = null;
    this.subscribed.clear();
    await src?.close();
  }
}

const hubs = new WeakMap<LeaderContext, LiveHub>();

/** Counters of the live stream (tests, diagnostics); null before the route is registered. */
export function liveStats(ctx: LeaderContext): LiveStats | null {
  return hubs.get(ctx)?.snapshot() ?? null;
}

/** A browser's `Origin` must be this host (or the host a proxy says it forwarded). Other clients send none. */
function originAllowed(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  const fwd = req.headers['x-forwarded-host'];
  const hosts = [req.headers.host, ...(Array.isArray(fwd) ? fwd : fwd ? fwd.split(',') : [])].filter((h): h is string => !!h).map((h) => h.trim().toLowerCase());
  return hosts.includes(host);
}

export const liveRoutes = (ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  const hub = new LiveHub(ctx);
  hubs.set(ctx, hub);
  // Runs before the plugin's own preClose (which waits for every client to finish its close handshake).
  app.addHook('preClose', async () => {
    await hub.close();
  });
  await app.register(websocket, { options: { maxPayload: MAX_INCOMING_BYTES } });
  // A refused upgrade (401 from the auth hook, 403 below) leaves a socket no one owns: end it once answered.
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode !== 101 && req.headers.upgrade?.toLowerCase() === 'websocket' && !req.raw.socket.destroyed) req.raw.socket.end();
  });
  app.route({
    method: 'GET',
    url: LIVE_PATH,
    preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
      if (!originAllowed(req)) return reply.status(403).send(errorBody(403, `Origin ${req.headers.origin} may not open the live stream.`));
    },
    handler: async (_req, reply) =>
      reply.status(426).header('Upgrade', 'websocket').send(errorBody(426, 'This is a WebSocket endpoint: connect with a WebSocket client.')),
    wsHandler: (ws: WebSocket) => {
      if (hub.clients.size >= MAX_CLIENTS) {
        ws.close(1013, 'too many live connections');
        return;
      }
      const c = hub.add(ws);
      ws.on('pong', () => (c.alive = true));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return c.control({ error: 'send text frames (JSON)' });
        c.receive(Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'));
      });
      ws.on('close', () => hub.remove(c));
      ws.on('error', () => hub.remove(c));
    },
  });
};
