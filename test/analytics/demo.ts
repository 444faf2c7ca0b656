// Loads the SporeDB demo runs copied into test/fixtures/sporedb-demo (see CITATION.md there).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCsv } from '../../leader/analytics/ingest-csv.js';
import type { ImportResult } from '../../leader/analytics/ingest-table.js';
import type { Series } from '../../leader/analytics/types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sporedb-demo');
export const DEMO_RUNS = ['glucose', 'xylose', 'hydrolysate'] as const;

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function demoImport(run: string): ImportResult {
  return importCsv(fixture(`abpdu_rt_${run}_001.csv`));
}

/** variable -> series from an import's long records */
export function toSeries(res: ImportResult): Record<string, Series> {
  const by: Record<string, { ts: number[]; v: number[] }> = {};
  for (const r of res.records) {
    (by[r.variable] ??= { ts: [], v: [] }).ts.push(r.ts);
    by[r.variable].v.push(r.value);
  }
  const out: Record<string, Series> = {};
  for (const [k, s] of Object.entries(by)) out[k] = { ts: Float64Array.from(s.ts), values: Float64Array.from(s.v) };
  return out;
}
