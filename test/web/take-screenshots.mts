// Screenshots of the overview and units pages for docs/screenshots/ against a running `colony demo`:
//   npx tsx test/web/take-screenshots.mts http://127.0.0.1:14998
import { chromium } from 'playwright-core';
const base = process.argv[2] ?? 'http://127.0.0.1:14998';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] });
const p = await b.newPage({ viewport: { width: 1366, height: 900 } });
p.on('console', (m) => m.type() === 'error' && console.log('console error', m.text(), m.location().url));
await p.goto(`${base}/#/overview`);
await p.locator('.page-overview[data-ready="1"]').waitFor();
await p.waitForTimeout(1500);
await p.screenshot({ path: 'docs/screenshots/overview.png', fullPage: true });
await p.goto(`${base}/#/units`);
await p.locator('.page-units[data-ready="1"]').waitFor();
await p.waitForTimeout(4000);
await p.screenshot({ path: 'docs/screenshots/units.png', fullPage: true });
await b.close();
