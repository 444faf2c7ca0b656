// Screenshots of the dashboard for docs/screenshots/ against a running `colony demo` (npm start):
//   npx tsx scripts/take-screenshots.mts http://127.0.0.1:4999
// Uses Debian's chromium through playwright-core (no browser download).
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:4999';
const pages: Array<[route: string, settleMs: number]> = [
  ['overview', 2500],
  ['units', 4000],
  ['analytics', 2500],
  ['inventory', 1500],
];
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] });
const p = await b.newPage({ viewport: { width: 1366, height: 900 } });
p.on('console', (m) => m.type() === 'error' && console.log('console error', m.text(), m.location().url));
for (const [route, settle] of pages) {
  await p.goto(`${base}/#/${route}`);
  await p.locator(`.page-${route}[data-ready="1"]`).waitFor({ timeout: 30_000 });
  await p.waitForTimeout(settle);
  await p.screenshot({ path: `docs/screenshots/${route}.png`, fullPage: true });
  console.log(`docs/screenshots/${route}.png`);
}
await b.close();
