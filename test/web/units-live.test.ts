// The Units page in chromium against an in-process leader and one live sim agent: a setting changed behind the
// page's back (through the /api, and a job stopped over MQTT) shows on the card without a reload, from the live
// stream; blink answers; an add-media pump action books a dosing event and an overfilling one shows the unit's
// refusal; a chemostat started from the dosing automation form (built from the descriptors) runs (`ready` on
// the card, in /api and on the retained MQTT state), takes a changed setting, and stops (`disconnected`); the LED
// intensity and the temperature target go through the LED and temperature automation forms.
// Screenshots go to test/artifacts/units-*.png.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { waitFor } from '../../bench/fleet.js';
import { webRoot } from '../../leader/api/web.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { CLI, LEADER, makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const U = 'u1';

function skipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(CLI)) return `${CLI} is missing (npm run build)`;
  if (webRoot() === null) return 'dist/web is not built (npm run build)';
  return null;
}

function startAgent(url: string, unit: string): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), `colony-units-${unit}-`));
  const config = join(dir, 'config.ini');
  writeFileSync(config, ['[od_reading.config]', 'samples_per_second=1', '[stirring.config]', 'duration_between_updates_seconds=2', ''].join('\n'));
  return spawn(process.execPath, [CLI, 'agent', '--unit', unit, '--backend', 'sim', '--broker', url, '--experiment', 'exp1', '--start', 'stirring', '--data-dir', dir, '--config', config], {
    stdio: 'ignore',
    env: { ...process.env, COLONY_MQTT_USERNAME: unit, COLONY_MQTT_PASSWORD: unitCred(unit).password, COLONY_LOG_LEVEL: 'warn' },
  });
}

async function api<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(base + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A 202 task's result. */
async function taskResult<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const ref = (await api<{ result_url_path: string }>(base, method, path, body)).body;
  for (let i = 0; i < 100; i++) {
    const r = await fetch(base + ref.result_url_path);
    if (r.status === 200) return ((await r.json()) as { result: T }).result;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`task ${path} did not finish`);
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url ?? ''})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `units-${name}.png`), fullPage: true });

describe('units page: live stream and controls (chromium)', function () {
  this.timeout(90_000);
  let leader: LeaderHandle | undefined;
  let agent: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let errors: string[] = [];
  let base: string;
  let mq: MqttClient | undefined;
  const retained = new Map<string, string>();

  before(async function () {
    const why = skipReason();
    if (why) {
      console.warn(`    units page tests skipped: ${why}`);
      this.skip();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    leader = await startTestLeader(makeDataDir([unitCred(U)]));
    base = leader.httpUrl;
    await api(base, 'POST', '/api/experiments', { experiment: 'exp1', description: 'units page test' });
    await api(base, 'PUT', '/api/workers', { pioreactor_unit: U, model_name: 'pioreactor_40ml', model_version: '1.5' });
    await api(base, 'PUT', '/api/experiments/exp1/workers', { pioreactor_unit: U });
    agent = startAgent(leader.broker.url, U);
    mq = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4, clientId: 'units-live-test' });
    mq.on('message', (t, p) => retained.set(t, String(p)));
    await mq.subscribeAsync(`pioreactor/${U}/exp1/+/$state`, { qos: 1 });
    await waitFor(() => retained.get(`pioreactor/${U}/exp1/stirring/$state`) === 'ready', 30_000, 'stirring ready on u1');
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await mq?.endAsync();
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    await leader?.stop();
  });

  afterEach(function () {
    const e = errors.splice(0);
    if (e.length && this.currentTest?.state === 'passed') assert.fail(`console errors: ${e.join('\n')}`);
  });

  it('shows settings and job states live: a change made elsewhere appears without a reload', async () => {
    await page.goto(`${base}/#/units`);
    await page.locator('.page-units[data-ready="1"]').waitFor();
    await page.locator('.live-status[data-status="open"]').waitFor({ timeout: 10_000 });
    const card = page.locator(`article.unit[data-unit="${U}"]`);
    const stirring = card.locator('li[data-job="stirring"]');
    await stirring.locator('.state[data-state="ready"]').waitFor({ timeout: 10_000 });
    // The current published value (the retained one), in the input and beside it.
    await page.locator(`#cur-${U}-stirring-target_rpm`, { hasText: /now \d+/ }).waitFor({ timeout: 10_000 });
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const t0 = Date.now();
    await api(base, 'PATCH', `/api/workers/${U}/jobs/update/job_name/stirring/experiments/exp1`, { settings: { target_rpm: 650 } });
    await page.locator(`#cur-${U}-stirring-target_rpm`, { hasText: 'now 650 RPM' }).waitFor({ timeout: 5000 });
    const settingMs = Date.now() - t0;
    assert.equal(await page.inputValue(`#set-${U}-stirring-target_rpm`), '650');
    // measured RPM (display only) follows too
    await page.locator(`#val-${U}-stirring-measured_rpm`).filter({ hasText: /\d/ }).waitFor({ timeout: 10_000 });
    // A job stopped over MQTT (not through the page or /api): the state changes well before the fallback poll (20 s).
    const t1 = Date.now();
    await mq!.publishAsync(`pioreactor/${U}/exp1/stirring/$state/set`, 'disconnected', { qos: 1 });
    await stirring.locator('.state[data-state="disconnected"]').waitFor({ timeout: 5000 });
    const stateMs = Date.now() - t1;
    assert.deepEqual(navigations, [], 'no reload');
    console.log(`      (setting on the card ${settingMs} ms after the PATCH; state ${stateMs} ms after the MQTT stop)`);
    await shot(page, 'live');
    // Started again from the card.
    await stirring.getByRole('button', { name: `Start Stirring on ${U}`, exact: true }).click();
    await stirring.locator('.state[data-state="ready"]').waitFor({ timeout: 15_000 });
  });

  it('blink answers', async () => {
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/workers/${U}/blink`) && r.request().method() === 'POST'),
      page.getByRole('button', { name: `Blink ${U}`, exact: true }).click(),
    ]);
    assert.equal(resp.status(), 202);
    await page.locator('#toast', { hasText: `${U} blinks its LED` }).waitFor();
  });

  it('pumps: add media books a dosing event; a dose over the max fill shows the refusal', async () => {
    const before = (await api<Record<string, { mediaRate: number }>>(base, 'GET', '/api/experiments/exp1/media_rates')).body[U]?.mediaRate ?? 0;
    await page.fill(`#pump-ml-${U}`, '1.5');
    await page.getByRole('button', { name: `Add media on ${U}`, exact: true }).click();
    await page.locator('#toast', { hasText: `Add media: 1.5 mL on ${U}` }).waitFor({ timeout: 15_000 });
    // the live dosing events on the card, and the booked events through /api
    await page.locator(`#dose-${U}`, { hasText: 'add_media' }).waitFor({ timeout: 10_000 });
    await waitFor(
      async () => ((await api<Record<string, { mediaRate: number }>>(base, 'GET', '/api/experiments/exp1/media_rates')).body[U]?.mediaRate ?? 0) >= before + 1.5 / 3 - 1e-9,
      15_000,
      'media rate of u1 counts the 1.5 mL',
    );
    const rows = leader!.ctx.db.prepare("SELECT sum(volume_change_ml) AS ml FROM dosing_events WHERE pioreactor_unit = ? AND event = 'add_media' AND source_of_event = 'user'").get(U) as { ml: number };
    assert.ok(Math.abs(rows.ml - 1.5) < 1e-6, `1.5 mL booked, got ${rows.ml}`);
    await page.locator(`#vol-${U}`, { hasText: /\d/ }).waitFor();
    // 40 ml model: max fill 36 mL; the vial holds about 16.5 mL now.
    await page.fill(`#pump-ml-${U}`, '30');
    await page.getByRole('button', { name: `Add media on ${U}`, exact: true }).click();
    const alert = page.locator(`#pump-error-${U}`);
    await alert.filter({ hasText: 'refused' }).waitFor({ timeout: 15_000 });
    assert.match((await alert.textContent()) ?? '', /add_media refused: adding 30 mL .* max fill of 36 mL/);
    await page.locator('#toast.error', { hasText: 'refused' }).waitFor();
    await shot(page, 'pump-refused');
  });

  it('dosing automation from its descriptor form: start (ready), change, stop (disconnected)', async () => {
    const descriptors = (await api<Array<{ automation_name: string }>>(base, 'GET', '/api/automations/descriptors/dosing')).body;
    assert.ok(descriptors.some((d) => d.automation_name === 'chemostat'));
    const row = page.locator(`article.unit[data-unit="${U}"] li[data-job="dosing_automation"]`);
    await row.locator('.state[data-state="disconnected"]').waitFor();
    await page.selectOption(`#auto-${U}-dosing`, 'chemostat');
    // the chemostat's fields, with their labels, units and defaults
    assert.equal(await page.inputValue(`#auto-${U}-dosing-exchange_volume_ml`), '0.5');
    assert.equal(await page.inputValue(`#auto-${U}-dosing-duration`), '20');
    assert.match((await row.locator(`label[for="auto-${U}-dosing-duration"]`).textContent()) ?? '', /Time between exchanges \(min\)/);
    await page.fill(`#auto-${U}-dosing-exchange_volume_ml`, '0.25');
    await row.getByRole('button', { name: `Start Dosing automation on ${U}`, exact: true }).click();
    await row.locator('.state[data-state="ready"]').waitFor({ timeout: 15_000 });
    // ...in /api and on the retained MQTT state
    const running = await taskResult<Record<string, Array<{ job_name: string; state?: string }> | null>>(base, 'GET', `/api/workers/${U}/jobs/running`);
    assert.ok(running[U]?.some((j) => j.job_name === 'dosing_automation'), JSON.stringify(running));
    await waitFor(() => retained.get(`pioreactor/${U}/exp1/dosing_automation/$state`) === 'ready', 5000, 'retained dosing_automation ready');
    await row.locator(`#val-${U}-dosing_automation-automation_name`, { hasText: 'chemostat' }).waitFor({ timeout: 5000 });
    await row.locator(`#cur-${U}-dosing_automation-exchange_volume_ml`, { hasText: 'now 0.25' }).waitFor({ timeout: 5000 });
    await shot(page, 'automation');
    // change a setting of the running automation
    await page.fill(`#auto-${U}-dosing-duration`, '30');
    await row.getByRole('button', { name: `Change Dosing automation on ${U}`, exact: true }).click();
    await row.locator(`#cur-${U}-dosing_automation-duration`, { hasText: 'now 30' }).waitFor({ timeout: 10_000 });
    const settings = await taskResult<Record<string, { settings?: Record<string, unknown> } | null>>(base, 'GET', `/api/workers/${U}/jobs/settings/job_name/dosing_automation/experiments/exp1`);
    assert.equal(Number(settings[U]?.settings?.duration), 30);
    // stop
    await row.getByRole('button', { name: `Stop Dosing automation on ${U}`, exact: true }).click();
    await row.locator('.state[data-state="disconnected"]').waitFor({ timeout: 15_000 });
    await waitFor(() => retained.get(`pioreactor/${U}/exp1/dosing_automation/$state`) === 'disconnected', 5000, 'retained dosing_automation disconnected');
    const after = await taskResult<Record<string, Array<{ job_name: string }> | null>>(base, 'GET', `/api/workers/${U}/jobs/running`);
    assert.ok(!after[U]?.some((j) => j.job_name === 'dosing_automation'));
    await shot(page, 'automation-stopped');
  });

  it('LED intensity and temperature target through the LED and temperature automation forms', async () => {
    const card = page.locator(`article.unit[data-unit="${U}"]`);
    const led = card.locator('li[data-job="led_automation"]');
    await page.selectOption(`#auto-${U}-led`, 'light_dark_cycle');
    await page.fill(`#auto-${U}-led-light_intensity`, '30');
    await led.getByRole('button', { name: `Start LED automation on ${U}`, exact: true }).click();
    await led.locator('.state[data-state="ready"]').waitFor({ timeout: 15_000 });
    // the unit's published LED state, live
    await page.locator(`#leds-${U}`, { hasText: 'C 30 %, D 30 %' }).waitFor({ timeout: 10_000 });
    await page.fill(`#auto-${U}-led-light_intensity`, '60');
    await led.getByRole('button', { name: `Change LED automation on ${U}`, exact: true }).click();
    await page.locator(`#leds-${U}`, { hasText: 'C 60 %, D 60 %' }).waitFor({ timeout: 10_000 });
    await page.locator(`#cur-${U}-led_automation-light_intensity`, { hasText: 'now 60' }).waitFor();

    const temp = card.locator('li[data-job="temperature_automation"]');
    await page.selectOption(`#auto-${U}-temperature`, 'thermostat');
    await page.fill(`#auto-${U}-temperature-target_temperature`, '35');
    await temp.getByRole('button', { name: `Start Temperature automation on ${U}`, exact: true }).click();
    await temp.locator('.state[data-state="ready"]').waitFor({ timeout: 15_000 });
    await page.locator(`#cur-${U}-temperature_automation-target_temperature`, { hasText: 'now 35' }).waitFor({ timeout: 10_000 });
    await page.fill(`#auto-${U}-temperature-target_temperature`, '37');
    await temp.getByRole('button', { name: `Change Temperature automation on ${U}`, exact: true }).click();
    await page.locator(`#cur-${U}-temperature_automation-target_temperature`, { hasText: 'now 37' }).waitFor({ timeout: 10_000 });
    await shot(page, 'led-temperature');
    await led.getByRole('button', { name: `Stop LED automation on ${U}`, exact: true }).click();
    await temp.getByRole('button', { name: `Stop Temperature automation on ${U}`, exact: true }).click();
    await led.locator('.state[data-state="disconnected"]').waitFor({ timeout: 15_000 });
    await temp.locator('.state[data-state="disconnected"]').waitFor({ timeout: 15_000 });
    await page.locator(`#leds-${U}`, { hasText: 'off' }).waitFor({ timeout: 10_000 });
  });
});
