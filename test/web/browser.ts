// What the browser tests in test/web share: Debian's chromium driven by playwright-core against an in-process
// leader, with sim agents as child processes where a page needs live data. `webSuite` sets a suite up (leader,
// workers, experiment exp1, agents, one page) and fails a passed test that left console errors behind.
// Not a *.test.ts file: mocha does not run it by itself.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type ConsoleMessage, type Page } from 'playwright-core';
import type { LeaderHandle } from '../../leader/leader.js';
import { webRoot } from '../../leader/api/web.js';
import { CLI, makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
export const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** Why the browser tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(CLI)) return `${CLI} is missing (npm run build)`;
  if (webRoot() === null) return 'dist/web is not built (npm run build)';
  return null;
}

/** For a `before` hook: skips the suite (saying why, as `what skipped: …`) when it cannot run; else makes test/artifacts. */
export function skipUnlessRunnable(ctx: Mocha.Context, what: string): void {
  const why = skipReason();
  if (why) {
    console.warn(`    ${what} skipped: ${why}`);
    ctx.skip();
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

export const launchChromium = (): Promise<Browser> => chromium.launch(LAUNCH);

/** A sim agent: `name` goes into its temporary data dir's name, `config` is its config.ini (lines), `start` the jobs it starts. */
export interface AgentOptions {
  name: string;
  config: string[];
  start: string;
}

/** A sim agent for `unit` in experiment exp1, as a child process logging in to the broker at `url`. */
export function startAgent(url: string, unit: string, opts: AgentOptions): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), `colony-${opts.name}-${unit}-`));
  const config = join(dir, 'config.ini');
  writeFileSync(config, [...opts.config, ''].join('\n'));
  return spawn(process.execPath, [CLI, 'agent', '--unit', unit, '--backend', 'sim', '--broker', url, '--experiment', 'exp1', '--start', opts.start, '--data-dir', dir, '--config', config], {
    stdio: 'ignore',
    env: { ...process.env, COLONY_MQTT_USERNAME: unit, COLONY_MQTT_PASSWORD: unitCred(unit).password, COLONY_LOG_LEVEL: 'warn' },
  });
}

/** One /api call; throws on an error status. The body: parsed when it is JSON, else the text. */
export async function api<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(base + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  const text = await r.text();
  return (text && /json/.test(r.headers.get('content-type') ?? '') ? JSON.parse(text) : text) as T;
}

/** Console errors a page may log: those whose text, or whose source URL, matches one of these. */
export interface AllowedErrors {
  text?: RegExp[];
  url?: RegExp[];
}

/** The page's console errors and page errors (but the allowed ones), as `text (url)` and `pageerror: message`. */
export function watchErrors(page: Page, allow: AllowedErrors = {}): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    const where = m.location().url ?? '';
    if (allow.url?.some((re) => re.test(where))) return;
    if (allow.text?.some((re) => re.test(m.text()))) return;
    errors.push(`${m.text()} (${where})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** A full-page screenshot taker: `shot(page, name)` writes test/artifacts/`prefix`-`name`.png. */
export const screenshots = (prefix: string) => (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${prefix}-${name}.png`), fullPage: true });

export interface WebSuiteOptions {
  /** What the skip note calls the suite ("dashboard tests"). */
  label: string;
  /** Workers registered in the inventory (pioreactor_40ml 1.5), each with MQTT credentials in the data dir. */
  units?: string[];
  /** More of the leader's config.ini, after makeDataDir's. */
  extraConfig?: string;
  /** The description of experiment exp1, created with every unit assigned to it; none, no experiment. */
  experiment?: string;
  /** Start a sim agent for every unit. */
  agent?: AgentOptions;
  /** The page's browser context (default: a 1280×900 viewport). */
  context?: BrowserContextOptions;
  /** Console errors that do not fail a test. */
  allow?: AllowedErrors;
  /** Run first when the suite ends (closing what the test file opened itself). */
  beforeStop?: () => unknown;
}

/** A suite's leader, agents and page: set by the `before` hook `webSuite` adds, so read them in hooks and tests. */
export interface WebSuite {
  leader: LeaderHandle;
  base: string;
  dataDir: string;
  page: Page;
  /** The page's console errors so far; a test may drop the ones it expects. */
  errors: string[];
}

/**
 * In a `describe`: a `before` hook that skips the suite when it cannot run, else starts a leader on a fresh
 * data dir, registers the units, creates exp1 and assigns them, starts their agents and opens a page in chromium;
 * an `after` hook that closes it all; and an `afterEach` hook that fails a passed test which left console errors.
 * The test file's own `before` hooks run after this one.
 */
export function webSuite(opts: WebSuiteOptions): WebSuite {
  const units = opts.units ?? [];
  const web = { errors: [] as string[] } as WebSuite;
  let leader: LeaderHandle | undefined;
  let browser: Browser | undefined;
  const agents: ChildProcess[] = [];

  before(async function () {
    skipUnlessRunnable(this, opts.label);
    web.dataDir = makeDataDir(units.map(unitCred), opts.extraConfig);
    leader = web.leader = await startTestLeader(web.dataDir);
    const base = (web.base = leader.httpUrl);
    if (opts.experiment !== undefined) await api(base, 'POST', '/api/experiments', { experiment: 'exp1', description: opts.experiment });
    for (const u of units) {
      await api(base, 'PUT', '/api/workers', { pioreactor_unit: u, model_name: 'pioreactor_40ml', model_version: '1.5' });
      if (opts.experiment !== undefined) await api(base, 'PUT', '/api/experiments/exp1/workers', { pioreactor_unit: u });
    }
    if (opts.agent) for (const u of units) agents.push(startAgent(leader.broker.url, u, opts.agent));
    browser = await launchChromium();
    web.page = await (await browser.newContext(opts.context ?? { viewport: { width: 1280, height: 900 } })).newPage();
    web.errors = watchErrors(web.page, opts.allow);
  });

  after(async () => {
    await opts.beforeStop?.();
    await browser?.close();
    for (const a of agents) if (a.exitCode === null) a.kill('SIGKILL');
    await leader?.stop();
  });

  afterEach(function () {
    const e = web.errors.splice(0);
    if (e.length && this.currentTest?.state === 'passed') assert.fail(`console errors: ${e.join('\n')}`);
  });

  return web;
}
