/**
 * The leader's `/api`, from the page: JSON in and out, the error schema's message on failure, the 202 task
 * pattern followed to its result, and a 401 turned into the login form.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type AuthListener = () => void;
let onUnauthorized: AuthListener = () => undefined;
export function setUnauthorizedHandler(f: AuthListener): void {
  onUnauthorized = f;
}

async function errorOf(r: Response): Promise<HttpError> {
  let msg = `${r.status} ${r.statusText}`;
  try {
    const b = (await r.json()) as { error?: string };
    if (typeof b.error === 'string') msg = b.error;
  } catch {
    // not JSON
  }
  return new HttpError(r.status, msg);
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  // Asks the leader to leave the Basic challenge out of a 401, so the browser shows no prompt of its own.
  headers.set('X-Colony-Dashboard', '1');
  if (init.body !== undefined && typeof init.body === 'string' && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  // The leader marks some reads cacheable for a few seconds (time series, assignments); the page polls and
  // re-reads after its own changes, so it always asks the leader.
  const r = await fetch(path, { cache: 'no-store', ...init, headers, credentials: 'same-origin' });
  if (r.status === 401) {
    onUnauthorized();
    throw await errorOf(r);
  }
  if (!r.ok) throw await errorOf(r);
  return r;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

export async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await request(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return (text ? JSON.parse(text) : null) as T;
}

interface TaskRef {
  task_id: string;
  result_url_path: string;
}

/** A 202 task: poll its result URL until it completes (or fails). */
export async function task<T>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
  const ref = await send<TaskRef>(method, path, body);
  const end = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const r = await fetch(ref.result_url_path, { cache: 'no-store', credentials: 'same-origin', headers: { 'X-Colony-Dashboard': '1' } });
    if (r.status === 401) onUnauthorized();
    if (r.status === 200) return ((await r.json()) as { result: T }).result;
    if (r.status !== 202) throw await errorOf(r);
    if (Date.now() > end) throw new HttpError(504, 'The task did not finish in time.');
    await new Promise((res) => setTimeout(res, wait));
  }
}

export const enc = encodeURIComponent;

export interface Experiment {
  experiment: string;
  created_at: string;
  description: string | null;
  delta_hours?: number;
}

const CURRENT_KEY = 'colony.experiment';

/** The experiment the pages show: the one picked on the Experiments page, else the latest. */
export async function currentExperiment(): Promise<Experiment | null> {
  const picked = localStorage.getItem(CURRENT_KEY);
  if (picked) {
    try {
      return await getJson<Experiment>(`/api/experiments/${enc(picked)}`);
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) throw e;
      localStorage.removeItem(CURRENT_KEY);
    }
  }
  try {
    return await getJson<Experiment>('/api/experiments/latest');
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) return null;
    throw e;
  }
}

export function pickExperiment(name: string): void {
  localStorage.setItem(CURRENT_KEY, name);
}
