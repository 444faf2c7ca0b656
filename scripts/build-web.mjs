/* global console */
// Copies the dashboard's static files (and uPlot's browser build) next to the compiled web/*.ts in dist/web/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
const files = [
  [join(root, 'web', 'index.html'), 'index.html'],
  [join(root, 'web', 'style.css'), 'style.css'],
  [join(root, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js'), 'uPlot.iife.min.js'],
  [join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'uPlot.min.css'],
];
for (const [from, to] of files) copyFileSync(from, join(out, to));
console.log(`build-web: ${files.length} files copied to ${out}`);
