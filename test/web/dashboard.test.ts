// The dashboard (issue 11) in Debian's chromium, driven by playwright-core, against an in-process leader with two
// live sim agents: every page loads without console errors and shows live data; the OD chart gains points while
// we watch; a unit card starts and stops stirring and changes its target RPM; an experiment is created and a unit
// assigned from the UI; an export downloads a zip holding the dataset; a bad profile shows its error at its line;
// with auth required on loopback, the login page lets a configured user in. Screenshots go to test/artifacts/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '../../bench/fleet.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { hashPassword } from '../../leader/auth/passwords.js';
import { makeDataDir, startTestLeader } from '../leader/cluster.js';
import { api, ARTIFACTS, launchChromium, screenshots, skipUnlessRunnable, watchErrors, webSuite } from './browser.js';

const UNITS = ['u1', 'u2'];
/** The overview probes the optional phases route (a 404 until it exists). */
const PHASES_PROBE = /\/phases(\?|$)/;

const shot = screenshots('dashboard');

describe('dashboard in chromium', function () {
  this.timeout(120_000);
  const web = webSuite({
    label: 'dashboard tests',
    units: UNITS,
    experiment: 'dashboard test',
    agent: {
      name: 'web',
      config: ['[od_reading.config]', 'samples_per_second=2', '[growth_rate_calculating.config]', 'samples_for_od_statistics=3', '[stirring.config]', 'duration_between_updates_seconds=2'],
      start: 'od_reading,growth_rate_calculating',
    },
    context: { viewport: { width: 1280, height: 900 }, acceptDownloads: true },
    allow: { url: [PHASES_PROBE] },
  });
  let leader: LeaderHandle | undefined;
  let page: Page;
  let errors: string[];
  let base: string;

  before(async () => {
    ({ leader, page, errors, base } = web);
    const l = web.leader;
    await waitFor(() => (l.ctx.db.prepare("SELECT count(DISTINCT pioreactor_unit) AS n FROM od_readings WHERE experiment = 'exp1'").get() as { n: number }).n === 2, 45_000, 'od readings from both agents');
  });

  it('serves the page shell and keeps unknown API paths as JSON 404s', async () => {
    const r = await fetch(`${base}/units/u1`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /<main id="main"/);
    const js = await fetch(`${base}/main.js`);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const miss = await fetch(`${base}/api/no_such_route`);
    assert.equal(miss.status, 404);
    assert.ok(((await miss.json()) as { error: string }).error.includes('/api/no_such_route'));
  });

  it('overview: the OD chart gains points while we watch', async () => {
    await page.goto(`${base}/#/overview`);
    await page.locator('.page-overview[data-ready="1"]').waitFor();
    assert.match((await page.locator('#current-exp').textContent()) ?? '', /exp1/);
    const od = page.locator('#chart-od_readings');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#chart-od_readings')?.dataset.points ?? 0) > 0, undefined, { timeout: 20_000 });
    const first = { points: Number(await od.getAttribute('data-points')), last: (await od.getAttribute('data-last')) ?? '' };
    assert.match((await od.getAttribute('data-series')) ?? '', /u1-\d.*u2-\d/);
    await page.waitForFunction(
      (f) => {
        const el = document.querySelector<HTMLElement>('#chart-od_readings');
        return !!el && ((el.dataset.last ?? '') > f.last || Number(el.dataset.points) > f.points);
      },
      first,
      { timeout: 20_000 },
    );
    assert.equal(await page.locator('#chart-od_readings canvas').count(), 1);
    // Online phase detection labels each unit from its first growth rates: a strip per unit on the charts.
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#chart-od_readings')?.dataset.bands ?? 0) >= 2, undefined, { timeout: 30_000 });
    assert.match((await page.locator('#phase-legend').textContent()) ?? '', /lag.*exponential.*stationary/);
    await page.locator('#media-rates dt').first().waitFor();
    await shot(page, 'overview');
  });

  it('overview: a media dose by a unit shows as a marker on the OD charts', async () => {
    await api(base, 'POST', '/api/workers/u1/jobs/run/job_name/add_media/experiments/exp1', { options: { ml: 0.5 } });
    const l = leader!;
    await waitFor(() => (l.ctx.db.prepare("SELECT count(*) AS n FROM dosing_events WHERE experiment = 'exp1' AND event = 'add_media'").get() as { n: number }).n > 0, 30_000, 'the dose stored');
    await page.locator('#refresh-now').click();
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#chart-od_readings_filtered')?.dataset.markers ?? 0) >= 1, undefined, { timeout: 20_000 });
    assert.equal(await page.locator('#chart-temperature_readings').getAttribute('data-markers'), '0');
    assert.match((await page.locator('#dose-markers').textContent()) ?? '', /1 media dose/);
  });

  it('units: live job states; stirring starts (ready), takes a new target RPM, and stops (disconnected)', async () => {
    await page.goto(`${base}/#/units`);
    const card = page.locator('article.unit[data-unit="u1"]');
    await card.locator('li[data-job="od_reading"][data-state="ready"]').waitFor({ timeout: 15_000 });
    const stirring = card.locator('li[data-job="stirring"]');
    await stirring.locator('[data-state="disconnected"]').waitFor();
    await stirring.getByRole('button', { name: 'Start Stirring on u1' }).click();
    await stirring.locator('.state[data-state="ready"]').waitFor({ timeout: 20_000 });
    await page.locator('#set-u1-stirring-target_rpm').fill('700');
    await stirring.getByRole('button', { name: /^Set Target RPM of Stirring on u1$/ }).click();
    const l = leader!;
    await waitFor(
      async () => {
        const s = (await l.ctx.units.call('u1', 'jobs.settings', { job: 'stirring' }).catch(() => null)) as { settings?: Record<string, unknown> } | null;
        return Number(s?.settings?.target_rpm) === 700;
      },
      10_000,
      'target_rpm 700 on u1',
    );
    await shot(page, 'units');
    await stirring.getByRole('button', { name: 'Stop Stirring on u1' }).click();
    await stirring.locator('.state[data-state="disconnected"]').waitFor({ timeout: 20_000 });
  });

  it('logs: shows the leader log lines, filtered by level and unit, with new lines live', async () => {
    await page.goto(`${base}/#/logs`);
    await page.locator('#logs tbody tr', { hasText: 'Assigned u2 to exp1.' }).waitFor();
    await page.selectOption('#log-level', 'ERROR');
    await page.locator('#logs tbody tr', { hasText: 'No log lines at this level.' }).or(page.locator('#logs tbody tr[data-level="ERROR"]').first()).waitFor();
    assert.equal(await page.locator('#logs tbody tr[data-level="INFO"]').count(), 0);
    await page.selectOption('#log-level', 'INFO');
    await page.locator('#logs tbody tr[data-level="INFO"]').first().waitFor();
    // Live tail: a line a unit logs now appears on top without a reload.
    const line = `live tail line ${Date.now()}`;
    leader!.ctx.mqtt.publish('pioreactor/u1/exp1/logs/web_test/info', JSON.stringify({ message: line, task: 'web_test', source: 'app', level: 'INFO', timestamp: new Date().toISOString() }));
    await page.locator('#logs tbody tr:first-child', { hasText: line }).waitFor({ timeout: 10_000 });
    // The unit filter: u2's lines only.
    await page.selectOption('#log-unit', 'u2');
    await page.locator('#logs tbody tr', { hasText: line }).waitFor({ state: 'detached' });
    const unitsShown = await page.locator('#logs tbody tr td:nth-child(2)').allTextContents();
    assert.ok(unitsShown.length > 0 && unitsShown.every((u) => u === 'u2' || u === '$broadcast'), unitsShown.join(','));
    await page.selectOption('#log-unit', '');
    await shot(page, 'logs');
  });

  it('export: downloads a zip holding the chosen dataset', async () => {
    await page.goto(`${base}/#/export`);
    await page.locator('#ds-od_readings').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export and download' }).click()]);
    assert.match(download.suggestedFilename(), /^export_.*\.zip$/);
    const path = join(ARTIFACTS, 'dashboard-export.zip');
    await download.saveAs(path);
    const zip = readFileSync(path);
    assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK');
    assert.ok(zip.includes(Buffer.from('od_readings')), 'the zip names an od_readings file');
    assert.ok(zip.length > 200, `zip of ${zip.length} bytes`);
    await page.locator('#export-form [role="status"]', { hasText: 'Downloaded' }).waitFor();
    await shot(page, 'export');
  });

  it('profiles: a bad profile shows its error at its line; a good one is listed', async () => {
    await page.goto(`${base}/#/profiles`);
    await page.locator('.page-profiles[data-ready="1"]').waitFor();
    const bad = ['experiment_profile_name: bad one', 'metadata:', '  author: test', 'common:', '  jobs:', '    stirring:', '      actions:', '        - type: start', '          hours_elapsed: not-a-number', ''].join('\n');
    await page.fill('#profile-filename', 'bad.yaml');
    await page.fill('#profile-text', bad);
    await page.getByRole('button', { name: 'Upload' }).click();
    const line = page.locator('#profile-result .err-line[data-line="9"]');
    await line.waitFor();
    assert.match((await line.locator('.err-msg').textContent()) ?? '', /^Line 9, col \d+: .*hours_elapsed/);
    assert.equal(await page.locator('#profile-result .err-line').count(), 1);
    // The refused upload is a 400 that chromium logs as a failed load: expected here, and only here.
    const rest = errors.splice(0).filter((e) => !/status of 400 .*\/api\/experiment_profiles\)$/.test(e));
    errors.push(...rest);
    await shot(page, 'profiles-error');
    await page.fill('#profile-filename', 'good.yaml');
    await page.fill('#profile-text', bad.replace('not-a-number', '0.5').replace('bad one', 'good one'));
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#profile-list li[data-file="good.yaml"]', { hasText: 'good one' }).waitFor();
    assert.equal(await page.locator('#profile-list li[data-file="bad.yaml"]').count(), 0);
  });

  it('experiments: creates an experiment and assigns a unit to it', async () => {
    await page.goto(`${base}/#/experiments`);
    await page.locator('#experiments tr[data-experiment="exp1"] .assigned', { hasText: 'u1, u2' }).waitFor();
    await page.fill('#new-exp-name', 'exp2');
    await page.fill('#new-exp-desc', 'made in the dashboard');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#experiments tr[data-experiment="exp2"]').waitFor();
    await page.locator('#current-exp', { hasText: 'exp2' }).waitFor();
    await page.selectOption('#assign-unit', 'u2');
    await page.selectOption('#assign-exp', 'exp2');
    await page.getByRole('button', { name: 'Assign' }).click();
    await page.locator('#experiments tr[data-experiment="exp2"] .assigned', { hasText: 'u2' }).waitFor();
    const row = leader!.ctx.db.prepare("SELECT experiment FROM experiment_worker_assignments WHERE pioreactor_unit = 'u2'").get() as { experiment: string };
    assert.equal(row.experiment, 'exp2');
    await shot(page, 'experiments');
  });

  it('fits a tablet-width viewport without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    for (const route of ['overview', 'units']) {
      await page.goto(`${base}/#/${route}`);
      await page.locator(`.page-${route}[data-ready="1"]`).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${route} overflows by ${overflow}px at 768px`);
      await shot(page, `${route}-tablet`);
    }
  });
});

describe('dashboard login in chromium', function () {
  this.timeout(60_000);
  let leader: LeaderHandle | undefined;
  let browser: Browser | undefined;

  before(async function () {
    skipUnlessRunnable(this, 'dashboard login tests');
    const users = `alice:${hashPassword('alice-pw-1')}`;
    leader = await startTestLeader(makeDataDir([], `[auth]\nrequire_auth_on_loopback=1\nusers=${users}\n`));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await leader?.stop();
  });

  it('shows the login form on 401 and lets a configured user in', async () => {
    const page = await browser!.newPage();
    // The refused /api calls and the wrong password are logged by chromium as failed loads (401): expected here.
    const errors = watchErrors(page, { text: [/status of 401/], url: [PHASES_PROBE] });
    const base = leader!.httpUrl;
    assert.equal((await fetch(`${base}/api/experiments`)).status, 401);
    await page.goto(`${base}/#/experiments`);
    await page.locator('form.login').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-login.png') });
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('form.login [role="alert"]', { hasText: 'Invalid username or password' }).waitFor();
    await page.getByLabel('Password').fill('alice-pw-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.page-experiments[data-ready="1"]').waitFor();
    assert.equal(await page.locator('form.login').count(), 0);
    await page.locator('#create-experiment').waitFor();
    assert.deepEqual(errors, []);
  });
});
