// The Units page in chromium against an in-process leader and one live sim agent: a setting changed behind the
// page's back (through the /api, and a job stopped over MQTT) shows on the card without a reload, from the live
// stream; blink answers; an add-media pump action books a dosing event and an overfilling one shows the unit's
// refusal; a chemostat started from the dosing automation form (built from the descriptors) runs (`ready` on
// the card, in /api and on the retained MQTT state), takes a changed setting, and stops (`disconnected`); the LED
// intensity and the temperature target go through the LED and temperature automation forms.
// Screenshots go to test/artifacts/units-*.png.
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import type { Locator, Page } from 'playwright-core';
import { waitFor } from '../../bench/fleet.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { LEADER } from '../leader/cluster.js';
import { api, screenshots, webSuite } from './browser.js';

const U = 'u1';

/** A 202 task's result. */
async function taskResult<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const ref = await api<{ result_url_path: string }>(base, method, path, body);
  for (let i = 0; i < 100; i++) {
    const r = await fetch(base + ref.result_url_path);
    if (r.status === 200) return ((await r.json()) as { result: T }).result;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`task ${path} did not finish`);
}

const shot = screenshots('units');

/** The page disables an action's button until the action (start, change) has finished. */
const actionDone = (scope: Locator, name: string) => scope.getByRole('button', { name, exact: true }).and(scope.locator(':enabled')).waitFor({ timeout: 20_000 });

describe('units page: live stream and controls (chromium)', function () {
  this.timeout(90_000);
  let mq: MqttClient | undefined;
  const web = webSuite({
    label: 'units page tests',
    units: [U],
    experiment: 'units page test',
    agent: { name: 'units', config: ['[od_reading.config]', 'samples_per_second=1', '[stirring.config]', 'duration_between_updates_seconds=2'], start: 'stirring' },
    context: { viewport: { width: 1280, height: 1000 } },
    beforeStop: () => mq?.endAsync(),
  });
  let leader: LeaderHandle | undefined;
  let page: Page;
  let base: string;
  const retained = new Map<string, string>();

  before(async () => {
    ({ leader, page, base } = web);
    mq = await mqtt.connectAsync(web.leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4, clientId: 'units-live-test' });
    mq.on('message', (t, p) => retained.set(t, String(p)));
    await mq.subscribeAsync(`pioreactor/${U}/exp1/+/$state`, { qos: 1 });
    await waitFor(() => retained.get(`pioreactor/${U}/exp1/stirring/$state`) === 'ready', 30_000, 'stirring ready on u1');
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
    const before = (await api<Record<string, { mediaRate: number }>>(base, 'GET', '/api/experiments/exp1/media_rates'))[U]?.mediaRate ?? 0;
    await page.fill(`#pump-ml-${U}`, '1.5');
    await page.getByRole('button', { name: `Add media on ${U}`, exact: true }).click();
    await page.locator('#toast', { hasText: `Add media: 1.5 mL on ${U}` }).waitFor({ timeout: 15_000 });
    // the live dosing events on the card, and the booked events through /api
    await page.locator(`#dose-${U}`, { hasText: 'add_media' }).waitFor({ timeout: 10_000 });
    await waitFor(
      async () => ((await api<Record<string, { mediaRate: number }>>(base, 'GET', '/api/experiments/exp1/media_rates'))[U]?.mediaRate ?? 0) >= before + 1.5 / 3 - 1e-9,
      15_000,
      'media rate of u1 counts the 1.5 mL',
    );
    const rows = leader!.ctx.db.prepare("SELECT sum(volume_change_ml) AS ml FROM dosing_events WHERE pioreactor_unit = ? AND event = 'add_media' AND source_of_event = 'user'").get(U) as { ml: number };
    assert.ok(Math.abs(rows.ml - 1.5) < 1e-6, `1.5 mL booked, got ${rows.ml}`);
    await page.locator(`#vol-${U}`, { hasText: /\d/ }).waitFor();
    // 40 ml model: max fill 36 mL; the vial holds about 16.5 mL now.
    // The first dose has finished on the unit (its add_media job is disconnected again), as its button shows.
    await page.locator(`article.unit[data-unit="${U}"] button[data-pump="add_media"][data-state="disconnected"]`).waitFor({ timeout: 20_000 });
    await page.fill(`#pump-ml-${U}`, '30');
    await page.getByRole('button', { name: `Add media on ${U}`, exact: true }).click();
    const alert = page.locator(`#pump-error-${U}`);
    await alert.filter({ hasText: 'refused' }).waitFor({ timeout: 15_000 });
    assert.match((await alert.textContent()) ?? '', /add_media refused: adding 30 mL .* max fill of 36 mL/);
    await page.locator('#toast.error', { hasText: 'refused' }).waitFor();
    await shot(page, 'pump-refused');
  });

  it('dosing automation from its descriptor form: start (ready), change, stop (disconnected)', async () => {
    const descriptors = await api<Array<{ automation_name: string }>>(base, 'GET', '/api/automations/descriptors/dosing');
    assert.ok(descriptors.some((d) => d.automation_name === 'chemostat'));
    const row = page.locator(`article.unit[data-unit="${U}"] li[data-job="dosing_automation"]`);
    await row.locator('.state[data-state="disconnected"]').waitFor();
    await page.selectOption(`#auto-${U}-dosing`, 'chemostat');
    // the chemostat's fields, with their labels, units and defaults
    assert.equal(await page.inputValue(`#auto-${U}-dosing-exchange_volume_ml`), '0.5');
    assert.equal(await page.inputValue(`#auto-${U}-dosing-duration`), '20');
    assert.match((await row.locator(`label[for="auto-${U}-dosing-duration"]`).textContent()) ?? '', /Time between dosing \(min\)/);
    await page.fill(`#auto-${U}-dosing-exchange_volume_ml`, '0.25');
    await row.getByRole('button', { name: `Start Dosing automation on ${U}`, exact: true }).click();
    await actionDone(row, `Start Dosing automation on ${U}`);
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
    await actionDone(row, `Change Dosing automation on ${U}`);
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
    await actionDone(led, `Start LED automation on ${U}`);
    await led.locator('.state[data-state="ready"]').waitFor({ timeout: 15_000 });
    // the unit's published LED state, live
    await page.locator(`#leds-${U}`, { hasText: 'C 30 %, D 30 %' }).waitFor({ timeout: 10_000 });
    await page.fill(`#auto-${U}-led-light_intensity`, '60');
    await led.getByRole('button', { name: `Change LED automation on ${U}`, exact: true }).click();
    await actionDone(led, `Change LED automation on ${U}`);
    await page.locator(`#leds-${U}`, { hasText: 'C 60 %, D 60 %' }).waitFor({ timeout: 10_000 });
    await page.locator(`#cur-${U}-led_automation-light_intensity`, { hasText: 'now 60' }).waitFor();

    const temp = card.locator('li[data-job="temperature_automation"]');
    await page.selectOption(`#auto-${U}-temperature`, 'thermostat');
    await page.fill(`#auto-${U}-temperature-target_temperature`, '35');
    await temp.getByRole('button', { name: `Start Temperature automation on ${U}`, exact: true }).click();
    await actionDone(temp, `Start Temperature automation on ${U}`);
    await temp.locator('.state[data-state="ready"]').waitFor({ timeout: 15_000 });
    await page.locator(`#cur-${U}-temperature_automation-target_temperature`, { hasText: 'now 35' }).waitFor({ timeout: 10_000 });
    await page.fill(`#auto-${U}-temperature-target_temperature`, '37');
    await temp.getByRole('button', { name: `Change Temperature automation on ${U}`, exact: true }).click();
    await actionDone(temp, `Change Temperature automation on ${U}`);
    await page.locator(`#cur-${U}-temperature_automation-target_temperature`, { hasText: 'now 37' }).waitFor({ timeout: 10_000 });
    await shot(page, 'led-temperature');
    await led.getByRole('button', { name: `Stop LED automation on ${U}`, exact: true }).click();
    await temp.getByRole('button', { name: `Stop Temperature automation on ${U}`, exact: true }).click();
    await led.locator('.state[data-state="disconnected"]').waitFor({ timeout: 15_000 });
    await temp.locator('.state[data-state="disconnected"]').waitFor({ timeout: 15_000 });
    await page.locator(`#leds-${U}`, { hasText: 'off' }).waitFor({ timeout: 10_000 });
  });
});
