/**
 * The leader's live stream (`/api/live`, docs/protocol.md) from the page: one WebSocket shared by every
 * subscriber, opened with the first `subscribe` and closed a moment after the last unsubscribe. It reconnects
 * with a growing delay (0.5 s doubling to 15 s, with jitter) and subscribes again, so the leader sends the current
 * retained values once more and the page catches up on whatever changed while it was away.
 *
 *   const off = subscribe('pioreactor/+/exp1/+/+', (topic, payload, retained) => ...);
 *   off();
 */
export type LiveCallback = (topic: string, payload: string, retained: boolean) => void;
export type LiveStatus = 'connecting' | 'open' | 'closed';

interface Sub {
  filter: string;
  cb: LiveCallback;
}

const subs = new Set<Sub>();
const statusListeners = new Set<(s: LiveStatus) => void>();
let ws: WebSocket | null = null;
let status: LiveStatus = 'closed';
let attempt = 0;
let retryTimer = 0;
let idleTimer = 0;
const IDLE_CLOSE_MS = 1000;

/** MQTT filter matching (`+` one level, `#` the rest). */
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

function filters(): string[] {
  return [...new Set([...subs].map((s) => s.filter))];
}

function setStatus(s: LiveStatus): void {
  if (s === status) return;
  status = s;
  for (const l of statusListeners) l(s);
}

export function liveStatus(): LiveStatus {
  return status;
}

/** Follow the connection's status (called at once with the current one); returns the unsubscribe. */
export function onLiveStatus(l: (s: LiveStatus) => void): () => void {
  statusListeners.add(l);
  l(status);
  return () => statusListeners.delete(l);
}

function send(body: unknown): void {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(body));
}

function dispatch(topic: string, payload: string, retained: boolean): void {
  for (const s of [...subs]) {
    if (!topicMatches(s.filter, topic)) continue;
    try {
      s.cb(topic, payload, retained);
    } catch (e) {
      console.error('live: subscriber failed', e);
    }
  }
}

function connect(): void {
  window.clearTimeout(retryTimer);
  if (ws || subs.size === 0) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`;
  const s = new WebSocket(url);
  ws = s;
  setStatus('connecting');
  s.onopen = () => {
    if (subs.size === 0) return s.close(1000);
    attempt = 0;
    setStatus('open');
    send({ subscribe: filters() });
  };
  s.onmessage = (ev: MessageEvent) => {
    let m: { topic?: unknown; payload?: unknown; retained?: unknown; error?: unknown; dropped?: unknown };
    try {
      m = JSON.parse(String(ev.data)) as typeof m;
    } catch {
      return;
    }
    if (typeof m.topic === 'string' && typeof m.payload === 'string') dispatch(m.topic, m.payload, m.retained === true);
    else if (typeof m.error === 'string') console.warn(`live: ${m.error}`);
    else if (typeof m.dropped === 'number') console.warn(`live: the leader dropped ${m.dropped} messages (slow connection)`);
  };
  s.onclose = () => {
    if (ws !== s) return;
    ws = null;
    setStatus('closed');
    if (subs.size === 0) return;
    const delay = Math.min(15_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    attempt = Math.min(attempt + 1, 10);
    retryTimer = window.setTimeout(connect, delay);
  };
}

function closeIfIdle(): void {
  window.clearTimeout(idleTimer);
  idleTimer = window.setTimeout(() => {
    if (subs.size) return;
    window.clearTimeout(retryTimer);
    const s = ws;
    // A socket still connecting closes itself once open (closing it now logs a browser error).
    if (s && s.readyState === WebSocket.OPEN) {
      ws = null;
      setStatus('closed');
      s.close(1000);
    }
  }, IDLE_CLOSE_MS);
}

/**
 * Messages on topics matching `filter` (an MQTT filter under `pioreactor/`), starting with the stored retained
 * values (`retained` true). Returns the unsubscribe.
 */
export function subscribe(filter: string, cb: LiveCallback): () => void {
  const sub: Sub = { filter, cb };
  subs.add(sub);
  window.clearTimeout(idleTimer);
  // Asking again for a filter already held brings its retained values for this subscriber too.
  if (ws && ws.readyState === WebSocket.OPEN) send({ subscribe: [filter] });
  else connect();
  return () => {
    if (!subs.delete(sub)) return;
    if (!filters().includes(filter)) send({ unsubscribe: [filter] });
    if (subs.size === 0) closeIfIdle();
  };
}
